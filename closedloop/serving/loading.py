"""Turning a cached MLflow model into a served one: load the pyfunc wrapper, warm it, describe it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    """One loaded model: `kind` is the kind's name, `name` the registered model, `alias` what it serves as."""

    kind: str
    name: str
    version: str
    alias: str
    wrapper: Any  # the kind's pyfunc (`ModelKind.wrap`), unwrapped
    source: str  # "mlflow" (fetched and checked against the registry now) | "cache" (registry unreachable)


@contextmanager
def fast_inference() -> Iterator[None]:
    """Skip scikit-learn's per-call input and parameter checks, which cost more than the model on one input.

    Inputs are validated at the API boundary instead (the scikit-learn habit). The config is thread-local,
    so every scoring call enters it.
    """
    import sklearn  # imported by the first scoring call, not by every process that names a kind

    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        yield


def load_served(path: Path, *, kind: ModelKind, version: str, alias: str, source: str) -> ServedModel:
    """Load the model stored at `path` and warm it (`kind.warm`: one prediction) before anyone is served by
    it, so the first request pays no lazy set-up and a broken model fails here."""
    wrapper = mlflow.pyfunc.load_model(str(path)).unwrap_python_model()
    name = kind.config.registered_name
    served = ServedModel(
        kind=kind.name, name=name, version=version, alias=alias, wrapper=wrapper, source=source
    )
    kind.warm(wrapper)
    log.info("loaded %s v%s as %s (from %s)", name, version, alias, source)
    return served
