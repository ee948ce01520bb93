"""One serving policy of the replay benchmark: a champion that answers traffic and, depending on the policy,
folds users' interactions in at request time and retrains.

A logging policy runs the platform's own path in its own home: predictions and interactions are logged to the
store, simulated users' feedback is recorded against predictions, simulated annotators answer the labeling
queue, feedback becomes consensus labels (`derive_feedback_labels`, the configured trust). A retraining
policy then, once `label_trigger_count` new labels (and, for a kind trained on the interaction log,
interactions) have arrived, snapshots with the champion's watermark, trains a candidate, lets the gate judge
it on the newest window neither model trained on, and — if promoted — refits it with the window
(`gate_refit_window`). Every decision runs at the simulated time of the stream and records the newest row it
read, so the benchmark can show that no decision read the future. Only the Prefect scheduling and the MLflow
bookkeeping are left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from closedloop.gate import GateDecision
from closedloop.kinds import kind
from closedloop.retraining import pipeline
from closedloop.retraining.pipeline import Watermarks
from closedloop.settings import Settings
from closedloop.store import (
    FeedbackIn,
    InteractionIn,
    PredictionRecord,
    Store,
    count_interactions_since,
    count_labels_since,
    derive_feedback_labels,
    latest_interaction_id,
    latest_label_id,
    log_predictions,
    record_feedback_batch,
    record_interactions,
)
from replay.annotators import SimulatedAnnotators
from replay.users import SimulatedUsers

log = logging.getLogger(__name__)
Champion = Any  # the kind's serving wrapper


@dataclass
class Retrain:
    """One retrain: when, on how much new data, what the gate said, and what the decision read."""

    chunk: int
    labels: int  # new labels (and interactions) since the previous retrain
    promoted: bool
    reason: str
    version: int
    refit: bool
    decided_at: str
    newest_event_at: str | None
    read_only_past: bool
    window_n: int
    challenger_holdout: dict[str, float]
    evidence: dict[str, Any] = field(default_factory=dict)


def first_champion(
    model: str, settings: Settings, store: Store, *, name: str
) -> tuple[Champion, GateDecision, Watermarks]:
    """Train the first model on the base period (no labels yet) and ask the gate's first-model floors about
    it. It becomes the starting champion whatever they say: the replay measures what happens next, and the
    decision is reported next to the figures."""
    found = kind(model)
    data = pipeline.snapshot(found, settings, store, Watermarks())
    candidate = pipeline.train(found, data, settings, name)
    decision = pipeline.judge(found, candidate, None, data, settings)
    return pipeline.wrap(found, candidate, data), decision, Watermarks.of(data)


@dataclass
class Policy:
    """A champion serving traffic. Without a store it is frozen: no interaction flows back, neither folded
    in nor trained on. With a store it logs what users do and folds it in; `retrains` adds the loop."""

    name: str
    model: str
    settings: Settings
    champion: Champion
    store: Store | None = None
    users: SimulatedUsers | None = None
    annotators: SimulatedAnnotators | None = None
    candidate_name: str = "baseline"
    retrains_enabled: bool = True
    version: int = 1
    trained_on: Watermarks = field(default_factory=Watermarks)
    retrains: list[Retrain] = field(default_factory=list)
    feedback: int = 0
    wrong_feedback: int = 0
    interactions: int = 0
    annotated: int = 0
    _fired: Watermarks = field(default_factory=Watermarks)

    @property
    def logs(self) -> bool:
        return self.store is not None

    @property
    def learns(self) -> bool:
        return self.store is not None and self.retrains_enabled

    def log(self, records: list[PredictionRecord]) -> None:
        assert self.store is not None
        with self.store.session() as session:
            log_predictions(session, rows=records)

    def record(self, events: list[FeedbackIn], wrong: int) -> None:
        assert self.store is not None
        if events:
            with self.store.session() as session:
                record_feedback_batch(session, events=events, kinds={self.model: kind(self.model)})
        self.feedback += len(events)
        self.wrong_feedback += wrong

    def interact(self, events: list[InteractionIn], *, reports: int, wrong: int) -> None:
        """Log interactions; `reports` of them answer a recommendation, `wrong` of those wrongly."""
        assert self.store is not None
        for start in range(0, len(events), 1000):
            with self.store.session() as session:
                record_interactions(session, events=events[start : start + 1000])
        self.interactions += len(events)
        self.feedback += reports
        self.wrong_feedback += wrong

    def absorb(self, *, annotation_budget: int) -> None:
        """After a chunk: annotators answer the queue and agreed feedback becomes consensus labels."""
        assert self.store is not None
        model: Any = self.model
        with self.store.session() as session:
            if self.annotators is not None:
                self.annotated += self.annotators.work(session, budget=annotation_budget).labelled
            derive_feedback_labels(
                session,
                kind=kind(model),
                trust=self.settings.feedback_trust,
                untrusted_weight=self.settings.untrusted_vote_weight,
            )

    def maybe_retrain(self, chunk: int) -> Retrain | None:
        """Retrain once `label_trigger_count` new labels (and interactions) arrived since the last retrain."""
        assert self.store is not None
        model: Any = self.model
        with self.store.session() as session:
            new = count_labels_since(session, model=model, after_id=self._fired.labels)
            interactions = None
            if kind(self.model).config.interactions:  # the interaction log is training data too
                new += count_interactions_since(session, model=model, after_id=self._fired.interactions)
                interactions = latest_interaction_id(session, model=model)
            newest = Watermarks(latest_label_id(session, model=model), interactions)
        if new < self.settings.label_trigger_count:
            return None
        self._fired = newest
        return self._retrain(chunk, new)

    def _retrain(self, chunk: int, new: int) -> Retrain:
        assert self.store is not None
        found = kind(self.model)
        data = pipeline.snapshot(found, self.settings, self.store, self.trained_on)
        candidate = pipeline.train(found, data, self.settings, self.candidate_name)
        decision = pipeline.judge(found, candidate, self.champion, data, self.settings)
        served, trained, refit = pipeline.served_form(found, candidate, data, self.settings, decision)
        if decision.promote:
            self.champion, self.version = pipeline.wrap(found, served, trained), self.version + 1
            self.trained_on = Watermarks.of(trained)
        evidence = decision.evidence
        retrain = Retrain(
            chunk=chunk,
            labels=new,
            promoted=decision.promote,
            reason=decision.reason,
            version=self.version,
            refit=refit,
            decided_at=evidence["decided_at"],
            newest_event_at=evidence["reads"]["newest_event_at"],
            read_only_past=evidence["read_only_past"],
            window_n=int(evidence.get("window", {}).get("n", 0) or 0),
            challenger_holdout={k: round(v, 4) for k, v in candidate.holdout_metrics.items()},
            evidence=pipeline.headline(evidence),
        )
        log.info("%s/%s after chunk %d: %s", self.model, self.name, chunk, decision.reason)
        self.retrains.append(retrain)
        return retrain
