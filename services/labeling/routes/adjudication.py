"""Adjudication: disputed items with both annotators' labels, and the adjudicator's decision, which becomes
the consensus label (source "adjudication")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from closedloop.labeling import adjudicate, items_to_adjudicate
from services.labeling.deps import Adjudicator, CsrfChecked, Db, ItemId, KindsDep, ModelFilter
from services.labeling.pages import render
from services.labeling.views import kind_of_item, prediction_view

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)


@router.get("/adjudicate", response_class=HTMLResponse)
def disputed(
    request: Request,
    user: Adjudicator,
    db: Db,
    kinds: KindsDep,
    model: ModelFilter = None,
    decided: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Disputed items, oldest first, each with both labels and the buttons that decide it."""
    items = []
    for entry in items_to_adjudicate(db, model=model):
        kind = kind_of_item(kinds, entry.item)
        task = kind.config.task
        items.append(
            {
                "item": entry.item,
                "task": task,
                "shown": kind.show(entry.item.subject),
                "labels": [
                    {"username": cast.username, "name": task.caption(cast.label), "at": cast.at}
                    for cast in entry.labels
                ],
                "prediction": prediction_view(entry.item, kind),
            }
        )
    return render(request, "adjudicate.html", {"items": items, "decided": decided, "model": model})


@router.post("/adjudicate/{item_id}", dependencies=[CsrfChecked])
def decide(
    item_id: ItemId, label: Annotated[int, Form(ge=-(2**31), lt=2**31)], user: Adjudicator, db: Db
) -> RedirectResponse:
    """Settle a disputed item with `label` (one of its task's answers); back to the list."""
    adjudicate(db, item_id=item_id, user=user, label=label)
    return RedirectResponse(f"/label/adjudicate?decided={item_id}", status_code=303)
