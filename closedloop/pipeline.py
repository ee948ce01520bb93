"""The steps of one retrain, shared by the Prefect flow and the replay benchmark, so both run the same path:
snapshot (with the champion's watermark) → train a candidate → judge it against the champion on the window
and the holdout → optionally refit the winner with the window. MLflow and Prefect stay outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from closedloop import clock
from closedloop.candidates import Candidate, train_recsys_candidate, train_spam_candidate
from closedloop.datasets.recsys import RecsysSnapshot, build_recsys_snapshot
from closedloop.datasets.spam import SpamSnapshot, build_spam_snapshot
from closedloop.gate import GateDecision
from closedloop.packaging import RecommenderModel, SpamFilterModel
from closedloop.promotion import gate_policy, judge_recsys, judge_spam, recsys_floors, spam_floors
from closedloop.settings import Settings
from closedloop.store import Store

Snapshot = SpamSnapshot | RecsysSnapshot
Champion = SpamFilterModel | RecommenderModel


@dataclass(frozen=True)
class Watermarks:
    """The newest label and interaction ids a model trained on (None: none of them)."""

    labels: int | None = None
    interactions: int | None = None

    @classmethod
    def of(cls, snapshot: Snapshot) -> Watermarks:
        """What a model trained on `snapshot` has seen."""
        upto = snapshot.lineage["trained_upto"]
        return cls(labels=upto.get("labels"), interactions=upto.get("interactions"))

    def as_tags(self) -> dict[str, str]:
        return {
            "lineage.trained_upto_label_id": str(self.labels),
            "lineage.trained_upto_interaction_id": str(self.interactions),
        }

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> Watermarks:
        def number(key: str) -> int | None:
            value = tags.get(key)
            return None if value in (None, "None", "") else int(str(value))

        return cls(
            labels=number("lineage.trained_upto_label_id"),
            interactions=number("lineage.trained_upto_interaction_id"),
        )


def snapshot(
    model: str, settings: Settings, store: Store, trained_on: Watermarks, *, window_share: float | None = None
) -> Snapshot:
    """Fresh training data; what `trained_on` (the champion's watermarks) has not seen holds the window."""
    if model == "spam":
        return build_spam_snapshot(
            settings, store, champion_upto_id=trained_on.labels, window_share=window_share
        )
    return build_recsys_snapshot(settings, store, champion_interactions_upto_id=trained_on.interactions)


def train(snapshot: Snapshot, settings: Settings, name: str) -> Candidate:
    """One candidate model fitted on the snapshot (the spam filter at the configured operating point)."""
    if isinstance(snapshot, SpamSnapshot):
        return train_spam_candidate(snapshot, name, seed=settings.seed, target_fpr=settings.spam_target_fpr)
    return train_recsys_candidate(snapshot, name, seed=settings.seed)


def judge(
    candidate: Candidate,
    champion: Champion | None,
    snapshot: Snapshot,
    settings: Settings,
    *,
    shadow: pd.DataFrame | None = None,
) -> GateDecision:
    """The gate's decision; its evidence records when it was made and the newest row it read, so that
    "no decision reads data newer than itself" can be checked from the evidence alone."""
    policy = gate_policy(settings)
    if isinstance(snapshot, SpamSnapshot):
        assert champion is None or isinstance(champion, SpamFilterModel)
        decision = judge_spam(
            candidate, champion, snapshot, policy, floors=spam_floors(settings), shadow=shadow
        )
    else:
        assert champion is None or isinstance(champion, RecommenderModel)
        decision = judge_recsys(candidate, champion, snapshot, policy, floors=recsys_floors(settings))
    decided_at = clock.now()
    newest = snapshot.lineage["reads"]["newest_event_at"]
    decision.evidence["decided_at"] = decided_at.isoformat()
    decision.evidence["reads"] = snapshot.lineage["reads"]
    decision.evidence["read_only_past"] = newest is None or datetime.fromisoformat(newest) <= decided_at
    decision.evidence["window_lineage"] = snapshot.lineage["window"]
    return decision


def served_form(
    candidate: Candidate, snapshot: Snapshot, settings: Settings, decision: GateDecision
) -> tuple[Candidate, Snapshot, bool]:
    """What a promoted challenger serves as: itself, or (`gate_refit_window`, a window to add) the same
    model refit with the window included. Returns (model, the snapshot it trained on, refit?)."""
    if not (decision.promote and settings.gate_refit_window and len(snapshot.window)):
        return candidate, snapshot, False
    full = snapshot.refit()
    return train(full, settings, candidate.name), full, True


def wrap(candidate: Candidate, snapshot: Snapshot) -> Champion:
    """The serving wrapper of a fitted candidate (what MLflow stores and the API loads)."""
    if isinstance(snapshot, SpamSnapshot):
        return SpamFilterModel(candidate.estimator, candidate.threshold or 0.5)
    titles = dict(zip(snapshot.catalogue["item_id"].astype(int), snapshot.catalogue["title"], strict=True))
    return RecommenderModel(candidate.estimator, titles)


def headline(evidence: dict[str, Any]) -> dict[str, Any]:
    """What a reader needs of one decision's evidence: the deciding rule and both slices' figures."""
    keep = ("n", "challenger", "champion", "bootstrap", "fpr_bootstrap", "mcnemar", "status")
    slices = {
        name: {k: v for k, v in evidence[name].items() if k in keep}
        for name in ("window", "holdout")
        if isinstance(evidence.get(name), dict)
    }
    return {"rule": evidence.get("rule"), "read_only_past": evidence.get("read_only_past"), **slices}
