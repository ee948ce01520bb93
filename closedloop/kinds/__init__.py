"""Model kinds: the contract (`contract.py`) and the registry of the kinds this installation runs.

Kinds come from the entry-point group `closedloop.kinds` (closedloop's own two, and any installed package
that declares one) and from `CLOSEDLOOP_KINDS` (`package.module:ATTRIBUTE` names, for a kind that is not
an installed distribution). `CLOSEDLOOP_ENABLED_KINDS` narrows what this deployment runs (empty: every
registered kind). `kinds()` lists them in their configured order; `kind(name)` finds one.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib.metadata import entry_points

from closedloop.kinds.contract import (
    Answer,
    Describe,
    KindConfig,
    LabelingTask,
    ModelKind,
    Monitored,
    QueueItem,
    Route,
    Vote,
    kinds_named,
)

GROUP = "closedloop.kinds"

__all__ = [
    "GROUP",
    "Answer",
    "Describe",
    "KindConfig",
    "LabelingTask",
    "ModelKind",
    "Monitored",
    "QueueItem",
    "Route",
    "UnknownKind",
    "Vote",
    "kind",
    "kinds",
    "load_kind",
]


class UnknownKind(LookupError):
    """A model kind no installed package registers; the message lists the registered ones."""


def load_kind(reference: str) -> ModelKind:
    """The kind instance `package.module:ATTRIBUTE` names (an instance, or a class to instantiate)."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"a kind is named as package.module:ATTRIBUTE, got {reference!r}")
    found = getattr(importlib.import_module(module_name), attribute)
    instance = found() if isinstance(found, type) else found
    if not isinstance(instance, ModelKind):
        raise TypeError(f"{reference} is not a closedloop ModelKind")
    return instance


@lru_cache(maxsize=8)
def _registered(extra: tuple[str, ...], enabled: tuple[str, ...]) -> tuple[ModelKind, ...]:
    found = [point.load() for point in entry_points(group=GROUP)]
    found += [load_kind(reference) for reference in extra]
    instances = [k() if isinstance(k, type) else k for k in found]
    named = kinds_named(instances)
    unknown = sorted(set(enabled) - set(named))
    if unknown:
        raise UnknownKind(f"enabled kinds {unknown} are not registered; registered kinds: {', '.join(named)}")
    chosen = [k for k in named.values() if not enabled or k.name in enabled]
    return tuple(sorted(chosen, key=lambda k: (k.config.position, k.name)))


def kinds(extra: tuple[str, ...] | None = None) -> list[ModelKind]:
    """Every registered (and enabled) kind, in order; `extra` defaults to the settings' `kinds`."""
    from closedloop.settings import get_settings

    settings = get_settings()
    extra = tuple(settings.kinds) if extra is None else extra
    return list(_registered(tuple(extra), tuple(settings.enabled_kinds)))


def kind(name: str, extra: tuple[str, ...] | None = None) -> ModelKind:
    """The registered kind called `name` (or whose registered MLflow model is `name`)."""
    for candidate in kinds(extra):
        if name in (candidate.name, candidate.config.registered_name):
            return candidate
    names = ", ".join(k.name for k in kinds(extra)) or "none"
    raise UnknownKind(f"unknown model kind {name!r}; registered kinds: {names}")
