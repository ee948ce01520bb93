"""The steps of one retrain, for any model kind, shared by the Prefect flow and the replay benchmark so both
run the same path: snapshot (with the champion's watermarks) → train candidates → judge the winner against
the champion on the window and the holdout → optionally refit it with the window. The kind does each step
its way; MLflow and Prefect stay outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from closedloop import clock
from closedloop.gate import GateDecision
from closedloop.kinds import ModelKind
from closedloop.retraining.candidate import Candidate
from closedloop.settings import Settings
from closedloop.store import Store


@dataclass(frozen=True)
class Watermarks:
    """The newest label and interaction ids a model trained on (None: none of them)."""

    labels: int | None = None
    interactions: int | None = None

    @classmethod
    def of(cls, snapshot: Any) -> Watermarks:
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
    kind: ModelKind,
    settings: Settings,
    store: Store,
    trained_on: Watermarks,
    *,
    window_share: float | None = None,
) -> Any:
    """Fresh training data; what `trained_on` (the champion's watermarks) has not seen holds the window."""
    return kind.snapshot(settings, store, trained_on=trained_on, window_share=window_share)


def candidate_names(kind: ModelKind, settings: Settings) -> list[str]:
    """The candidates a retrain of `kind` trains: the settings' choice for it, else the kind's defaults."""
    return list(settings.candidates.get(kind.name) or kind.config.default_candidates)


def train(kind: ModelKind, snapshot: Any, settings: Settings, name: str) -> Candidate:
    """One candidate model fitted on the snapshot: under torchrun on `train_nproc` processes when the kind
    trains this candidate with the shared torch loop, in this process otherwise."""
    if name not in kind.config.candidates:
        raise ValueError(
            f"unknown {kind.name} model {name!r}; choose one of {', '.join(kind.config.candidates)}"
        )
    if settings.train_nproc > 1 and name in kind.config.distributed_candidates:
        from closedloop.distributed import jobs, run_distributed

        return run_distributed(  # type: ignore[no-any-return]
            jobs.train_candidate,
            settings.train_nproc,
            kind_name=kind.name,
            snapshot=snapshot,
            name=name,
            settings=settings,
        )
    return kind.train(snapshot, name, settings)


def judge(
    kind: ModelKind,
    candidate: Candidate,
    champion: Any | None,
    snapshot: Any,
    settings: Settings,
    *,
    shadow: pd.DataFrame | None = None,
) -> GateDecision:
    """The gate's decision; its evidence records when it was made and the newest row it read, so that
    "no decision reads data newer than itself" can be checked from the evidence alone."""
    decision = kind.judge(candidate, champion, snapshot, settings, shadow=shadow)
    decided_at = clock.now()
    newest = snapshot.lineage["reads"]["newest_event_at"]
    decision.evidence["decided_at"] = decided_at.isoformat()
    decision.evidence["reads"] = snapshot.lineage["reads"]
    decision.evidence["read_only_past"] = newest is None or datetime.fromisoformat(newest) <= decided_at
    decision.evidence["window_lineage"] = snapshot.lineage["window"]
    return decision


def served_form(
    kind: ModelKind, candidate: Candidate, snapshot: Any, settings: Settings, decision: GateDecision
) -> tuple[Candidate, Any, bool]:
    """What a promoted challenger serves as: itself, or (`gate_refit_window`, a window to add) the same
    model refit with the window included. Returns (model, the snapshot it trained on, refit?)."""
    if not (decision.promote and settings.gate_refit_window and len(snapshot.window)):
        return candidate, snapshot, False
    full = snapshot.refit()
    return train(kind, full, settings, candidate.name), full, True


def wrap(kind: ModelKind, candidate: Candidate, snapshot: Any) -> Any:
    """The serving wrapper of a fitted candidate (what MLflow stores and the API loads)."""
    return kind.wrap(candidate, snapshot)


def headline(evidence: dict[str, Any]) -> dict[str, Any]:
    """What a reader needs of one decision's evidence: the deciding rule and both slices' figures."""
    keep = ("n", "challenger", "champion", "bootstrap", "fpr_bootstrap", "mcnemar", "status")
    slices = {
        name: {k: v for k, v in evidence[name].items() if k in keep}
        for name in ("window", "holdout")
        if isinstance(evidence.get(name), dict)
    }
    return {"rule": evidence.get("rule"), "read_only_past": evidence.get("read_only_past"), **slices}
