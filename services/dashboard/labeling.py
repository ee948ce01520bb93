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
    alias = pseudonyms(session)
    return {
        "queue_depth": summary.queue_depth.get(model, 0),
        "awaiting_adjudication": summary.awaiting_adjudication,
        "labels_last_hour": summary.labels_last_hour,
        "pairs": [
            {
                **pair.model_dump(),
                "annotator_a": alias[pair.annotator_a],
                "annotator_b": alias[pair.annotator_b],
            }
            for pair in summary.pairs
        ],
        "annotators": [
            {"annotator": alias[row.username], **row.model_dump(exclude={"username"})}
            for row in summary.annotators
        ],
    }


def pseudonyms(session: Session) -> dict[str, str]:
    """username -> "annotator N", N the account's rank by id (1 for the first account ever created)."""
    users = sorted(list_users(session), key=lambda user: user.id)
    return {user.username: f"annotator {rank}" for rank, user in enumerate(users, start=1)}
