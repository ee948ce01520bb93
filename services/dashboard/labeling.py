"""The dashboard's labeling panel: queue depth of one model and annotator agreement, from the labeling
kernel's `agreement_summary` (agreement spans both tasks; the queue depth is per model)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from closedloop.labeling import agreement_summary


def labeling_panel(session: Session, *, model: str) -> dict[str, Any] | None:
    """Queue depth, adjudication backlog, throughput, kappa per pair and per-annotator accuracy; None while
    nothing was ever queued or labelled (the page then explains how to start)."""
    summary = agreement_summary(session)
    if not any(summary.queue_depth.values()) and not summary.annotators and not summary.awaiting_adjudication:
        return None
    return {
        "queue_depth": summary.queue_depth.get(model, 0),
        "awaiting_adjudication": summary.awaiting_adjudication,
        "labels_last_hour": summary.labels_last_hour,
        "pairs": [pair.model_dump() for pair in summary.pairs],
        "annotators": [row.model_dump() for row in summary.annotators],
    }
