"""One serving policy of the replay benchmark: a champion that answers traffic and, unless frozen, learns.

A learning policy runs the platform's own path in its own home: predictions are logged to the feedback store,
simulated users' feedback is recorded against them, simulated annotators answer the labeling queue, feedback
becomes consensus labels (`derive_feedback_labels`, the configured trust), and once `label_trigger_count`
new labels have arrived a candidate is trained on a fresh snapshot and the promotion gate decides. Only the
Prefect scheduling and the MLflow bookkeeping around those steps are left out (neither changes a model).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from closedloop.candidates import Candidate, train_recsys_candidate, train_spam_candidate
from closedloop.datasets.recsys import build_recsys_snapshot
from closedloop.datasets.spam import build_spam_snapshot
from closedloop.gate import GateDecision
from closedloop.packaging import RecommenderModel, SpamFilterModel
from closedloop.promotion import gate_policy, judge_recsys, judge_spam
from closedloop.replay.annotators import SimulatedAnnotators
from closedloop.replay.users import SimulatedUsers
from closedloop.settings import Settings
from closedloop.store import (
    FeedbackIn,
    PredictionRecord,
    Store,
    count_labels_since,
    derive_feedback_labels,
    latest_label_id,
    log_predictions,
    record_feedback_batch,
)

log = logging.getLogger(__name__)
Champion = SpamFilterModel | RecommenderModel


@dataclass
class Retrain:
    """One retrain: when, on how many labels, what the gate said."""

    chunk: int
    labels: int
    promoted: bool
    reason: str
    version: int
    challenger_holdout: dict[str, float]


def first_champion(
    model: str, settings: Settings, store: Store, *, name: str
) -> tuple[Champion, GateDecision]:
    """Train the first model on the earliest `base_fraction` (no labels yet) and ask the gate's first-model
    floors about it. It becomes the starting champion whatever they say: the replay measures what happens
    next, and the decision is reported next to the figures."""
    candidate, decision = _train_and_judge(model, settings, store, champion=None, name=name)
    return _wrap(candidate), decision


@dataclass
class Policy:
    """A champion serving traffic; `learns=False` keeps the first champion for the whole stream."""

    name: str
    model: str
    settings: Settings
    champion: Champion
    store: Store | None = None
    users: SimulatedUsers | None = None
    annotators: SimulatedAnnotators | None = None
    candidate_name: str = "baseline"
    version: int = 1
    retrains: list[Retrain] = field(default_factory=list)
    feedback: int = 0
    wrong_feedback: int = 0
    annotated: int = 0
    _trained_upto: int | None = None

    @property
    def learns(self) -> bool:
        return self.store is not None

    def log(self, records: list[PredictionRecord]) -> None:
        assert self.store is not None
        with self.store.session() as session:
            log_predictions(session, rows=records)

    def record(self, events: list[FeedbackIn], wrong: int) -> None:
        assert self.store is not None
        if events:
            with self.store.session() as session:
                record_feedback_batch(session, events=events)
        self.feedback += len(events)
        self.wrong_feedback += wrong

    def learn(self, chunk: int, *, annotation_budget: int) -> Retrain | None:
        """After a chunk: annotators answer the queue, feedback turns into labels, enough new ones retrain."""
        assert self.store is not None
        model: Any = self.model
        with self.store.session() as session:
            if self.annotators is not None:
                self.annotated += self.annotators.work(
                    session, model=model, budget=annotation_budget
                ).labelled
            derive_feedback_labels(session, model=model, trust=self.settings.feedback_trust)  # type: ignore[arg-type]
            new = count_labels_since(session, model=model, after_id=self._trained_upto)
            newest = latest_label_id(session, model=model)
        if new < self.settings.label_trigger_count:
            return None
        candidate, decision = _train_and_judge(
            self.model, self.settings, self.store, champion=self.champion, name=self.candidate_name
        )
        self._trained_upto = newest
        if decision.promote:
            self.champion, self.version = _wrap(candidate), self.version + 1
        retrain = Retrain(
            chunk=chunk,
            labels=new,
            promoted=decision.promote,
            reason=decision.reason,
            version=self.version,
            challenger_holdout={k: round(v, 4) for k, v in candidate.holdout_metrics.items()},
        )
        log.info("%s/%s after chunk %d: %s", self.model, self.name, chunk, decision.reason)
        self.retrains.append(retrain)
        return retrain


def _train_and_judge(
    model: str, settings: Settings, store: Store, *, champion: Champion | None, name: str
) -> tuple[Candidate, GateDecision]:
    policy = gate_policy(settings)
    if model == "spam":
        spam = build_spam_snapshot(settings, store)
        candidate = train_spam_candidate(spam, name, seed=settings.seed)
        return candidate, judge_spam(candidate, champion, spam, policy)  # type: ignore[arg-type]
    recsys = build_recsys_snapshot(settings, store)
    candidate = train_recsys_candidate(recsys, name, seed=settings.seed)
    return candidate, judge_recsys(candidate, champion, recsys, policy)  # type: ignore[arg-type]


def _wrap(candidate: Candidate) -> Champion:
    if candidate.task == "spam":
        return SpamFilterModel(candidate.estimator, candidate.threshold or 0.5)
    return RecommenderModel(candidate.estimator, {})


def spam_decisions(champion: SpamFilterModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(P(spam), is_spam) for each text, as the API computes them."""
    proba = champion.spam_probability(texts)
    return proba, proba >= champion.threshold
