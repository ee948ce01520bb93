"""Agreement: Cohen's kappa per annotator pair, each annotator's accuracy on gold and against consensus,
queue depth and throughput."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from closedloop.labeling import agreement_summary
from services.labeling.deps import Adjudicator, Db
from services.labeling.pages import render

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)


@router.get("/agreement", response_class=HTMLResponse)
def agreement(request: Request, user: Adjudicator, db: Db) -> HTMLResponse:
    """How far annotators agree with each other, with gold items and with the consensus."""
    return render(request, "agreement.html", {"summary": agreement_summary(db)})
