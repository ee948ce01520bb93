"""A fitted candidate model: what a kind's training hands to the gate, MLflow and serving.

Pure data (no MLflow, no Prefect): the retrain flow trains candidates as parallel tasks and logs them
afterwards, so training works the same in a thread, a Dask worker or a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Candidate:
    task: str  # the kind that trained it
    name: str  # one of the kind's candidates
    estimator: Any
    threshold: float | None  # a classifier's operating point; None for a ranker
    selection_score: float  # on validation data, the kind's metric — picks the best candidate
    holdout_metrics: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    history: list[Any] = field(default_factory=list)
    seconds: float = 0.0
