"""What a label is about: its subject's key and the labels that fit, both the kind's to say."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from closedloop.store.errors import InvalidLabel
from closedloop.store.records import SOURCE_RANK

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind


def check_label(
    *, kind: ModelKind, subject: dict[str, Any], label: int, source: str, subject_key: str | None = None
) -> str:
    """Validate a label at the store's boundary (raises `InvalidLabel`); returns its subject's key.

    The label must be one of the kind's `config.label_values`; the subject must have the shape the kind's
    `subject_key` reads (it raises for any other), whose key is used unless `subject_key` is given.
    """
    if source not in SOURCE_RANK:
        raise InvalidLabel(f"unknown label source {source!r}; expected one of {sorted(SOURCE_RANK)}")
    allowed = kind.config.label_values
    if isinstance(label, bool) or label not in allowed:
        raise InvalidLabel(f"a {kind.name} label must be one of {list(allowed)}, got {label!r}")
    key = kind.subject_key(subject)
    return subject_key or key
