"""Agreement: Cohen's kappa per annotator pair, each annotator's accuracy on gold and against consensus,
queue depth and throughput."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from closedloop.labeling import agreement_summary
from services.labeling.deps import Adjudicator, Db, KindsDep, ModelFilter
from services.labeling.pages import render

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)


@router.get("/agreement", response_class=HTMLResponse)
def agreement(
    request: Request,
    user: Adjudicator,
    db: Db,
    kinds: KindsDep,
    refilled: Annotated[int | None, Query(ge=0)] = None,
    model: ModelFilter = None,
) -> HTMLResponse:
    """How far annotators agree with each other, with gold items and with the consensus."""
    context = {
        "summary": agreement_summary(db, models=list(kinds)),
        "refilled": refilled,
        "model": model,
        "kinds": list(kinds.values()),
    }
    return render(request, "agreement.html", context)
