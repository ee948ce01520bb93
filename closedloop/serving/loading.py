"""Turning a cached MLflow model into a served one: load the pyfunc wrapper, warm it, describe it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import sklearn

log = logging.getLogger(__name__)
WARM_UP_TEXT = "Re: meeting notes\n\nwarm-up message"


@dataclass(frozen=True)
class ServedModel:
    """One loaded model: `kind` is spam | recsys, `name` the registered model, `alias` what it serves as."""

    kind: str
    name: str
    version: str
    alias: str
    wrapper: Any  # SpamFilterModel | RecommenderModel
    source: str  # "mlflow" (fetched and checked against the registry now) | "cache" (registry unreachable)


@contextmanager
def fast_inference() -> Iterator[None]:
    """Skip scikit-learn's per-call input and parameter checks, which cost more than the model on one text.

    Inputs are validated at the API boundary instead (the scikit-learn habit). The config is thread-local,
    so every scoring call enters it.
    """
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        yield


def load_served(path: Path, *, kind: str, name: str, version: str, alias: str, source: str) -> ServedModel:
    """Load the model stored at `path` and warm it with one dummy prediction before anyone is served by it."""
    wrapper = mlflow.pyfunc.load_model(str(path)).unwrap_python_model()
    served = ServedModel(kind=kind, name=name, version=version, alias=alias, wrapper=wrapper, source=source)
    warm(served)
    log.info("loaded %s v%s as %s (from %s)", name, version, alias, source)
    return served


def warm(served: ServedModel) -> None:
    """One prediction: the first real request pays no lazy set-up, and a broken model fails here."""
    with fast_inference():
        if served.kind == "spam":
            served.wrapper.spam_probability([WARM_UP_TEXT])
        else:
            # A known user, so the model's own scoring runs (an unknown one only reads popularity).
            users = getattr(served.wrapper.estimator, "users_", None)
            user = int(users.ids[0]) if users is not None and len(users.ids) else 0
            served.wrapper.recommend(user, 1, exclude_seen=True)
