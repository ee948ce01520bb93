"""The champion as every peer serves it: the estimator of the registered champion's pyfunc wrapper and the
step that turns a request's text into the estimator's input, pickled together by the benchmark (`export`)
and unpickled by each peer (`load`).

The peers cannot unpickle the MLflow artefact itself: its wrapper class imports MLflow and closedloop, which
their virtualenvs do not have. The estimator inside it is a `models/` object, the one our API scores with.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Scorer:
    """`estimator.predict_proba([prepare(text)])`'s positive column: what the champion's wrapper computes."""

    estimator: Any
    prepare: Callable[[str], str]

    def score(self, text: str) -> float:
        """The champion's score of one request's text."""
        return float(self.estimator.predict_proba([self.prepare(text)])[0, 1])


def export(estimator: Any, prepare: Callable[[str], str], path: Path) -> Path:
    """Write the scorer where the peers read it (`prepare` must be importable: a function of `models/`)."""
    path.write_bytes(pickle.dumps(Scorer(estimator, prepare), protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load(path: str | Path) -> Scorer:
    """The scorer the benchmark exported (a file it wrote itself: trusted)."""
    scorer = pickle.loads(Path(path).read_bytes())
    if not isinstance(scorer, Scorer):
        raise TypeError(f"{path} holds a {type(scorer).__name__}, not a Scorer")
    return scorer
