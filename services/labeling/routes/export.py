"""Export of consensus labels with their provenance, as JSON Lines or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from closedloop.labeling import export_consensus
from services.labeling.deps import Adjudicator, Db, ModelFilter

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)
HUMAN_SOURCES = ("annotation", "adjudication")
HumanOnly = Annotated[bool, Query(description="Only labels from annotators and adjudicators, not feedback.")]
MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _export(db: Db, model: str | None, fmt: Literal["jsonl", "csv"], human_only: bool) -> Response:
    # Read whole before answering: the store session closes with the request, and the label set is small.
    sources = HUMAN_SOURCES if human_only else None
    body = "".join(export_consensus(db, model=model, fmt=fmt, sources=sources))
    name = f"consensus-{model or 'all'}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type=MEDIA[fmt], headers=headers)


@router.get("/export.jsonl")
def export_jsonl(
    user: Adjudicator, db: Db, model: ModelFilter = None, human_only: HumanOnly = False
) -> Response:
    """Consensus labels with provenance, one JSON object per line."""
    return _export(db, model, "jsonl", human_only)


@router.get("/export.csv")
def export_csv(
    user: Adjudicator, db: Db, model: ModelFilter = None, human_only: HumanOnly = False
) -> Response:
    """Consensus labels with provenance, as CSV."""
    return _export(db, model, "csv", human_only)
