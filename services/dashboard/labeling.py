"""The dashboard's labeling panel: queue depth of one model and annotator agreement, from the labeling
kernel's `agreement_summary` (agreement spans both tasks; the queue depth is per model).

The dashboard is public, so annotators appear under stable pseudonyms ("annotator 3": the account's place
in creation order, which never changes since accounts are disabled, never deleted); their names are on the
agreement page, which only adjudicators and admins can open."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from closedloop.labeling import agreement_summary, list_users


def labeling_panel(session: Session, *, model: str) -> dict[str, Any] | None:
    """Queue depth, adjudication backlog, throughput, kappa per pair and per-annotator accuracy; None while
    nothing was ever queued or labelled (the page then explains how to start)."""
    summary = agreement_summary(session)
    if not any(summary.queue_depth.values()) and not summary.annotators and not summary.awaiting_adjudication:
        return None
    rank = ranks(session)
    pairs = []
    for pair in summary.pairs:  # in pseudonym order: the names' alphabetical order would hint at them
        first, second = sorted((rank[pair.annotator_a], rank[pair.annotator_b]))
        pairs.append({**pair.model_dump(), "annotator_a": first, "annotator_b": second})
    pairs.sort(key=lambda p: (p["annotator_a"], p["annotator_b"]))
    annotators = sorted(summary.annotators, key=lambda row: rank[row.username])
    return {
        "queue_depth": summary.queue_depth.get(model, 0),
        "awaiting_adjudication": summary.awaiting_adjudication,
        "labels_last_hour": summary.labels_last_hour,
        "pairs": [
            {**p, "annotator_a": pseudonym(p["annotator_a"]), "annotator_b": pseudonym(p["annotator_b"])}
            for p in pairs
        ],
        "annotators": [
            {"annotator": pseudonym(rank[row.username]), **row.model_dump(exclude={"username"})}
            for row in annotators
        ],
    }


def ranks(session: Session) -> dict[str, int]:
    """username -> the account's rank by id (1 for the first account ever created)."""
    users = sorted(list_users(session), key=lambda user: user.id)
    return {user.username: rank for rank, user in enumerate(users, start=1)}


def pseudonym(rank: int) -> str:
    return f"annotator {rank}"
