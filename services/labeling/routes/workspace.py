"""The annotator's workspace: the page, and the small JSON API it drives with the keyboard (next item, label,
skip, undo). Every POST needs the session's CSRF token in the `X-CSRF-Token` header."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from closedloop.labeling import next_item, queue_depth, skip_item, submit_label, undo_last
from closedloop.labeling.queue import to_item
from closedloop.labeling.rows import load_item
from closedloop.store import ModelName
from services.labeling.deps import CsrfChecked, CurrentUser, Db, ItemId, SettingsDep
from services.labeling.pages import render
from services.labeling.views import GRADES, TASKS, item_view, prediction_view

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)
ModelFilter = Annotated[ModelName | None, Query(description="Only items of this model.")]


class LabelIn(BaseModel):
    label: int = Field(ge=0, le=4, description="spam: 0 ham / 1 spam; relevance: 1-4")


@router.get("", response_class=HTMLResponse)
def workspace(
    request: Request, user: CurrentUser, settings: SettingsDep, model: ModelFilter = None
) -> HTMLResponse:
    """The labeling page: one item at a time, labelled with the keyboard."""
    context = {
        "model": model,
        "reveal": settings.labeling_reveal_prediction,
        "tasks": TASKS,
        "grades": GRADES,
    }
    return render(request, "workspace.html", context)


@router.get("/api/next")
def next_for_me(user: CurrentUser, db: Db, model: ModelFilter = None) -> dict[str, Any]:
    """The next item for this annotator (null when none is left) and the queue depth."""
    item = next_item(db, user=user, model=model)
    return {"item": item_view(item) if item else None, "queue_depth": queue_depth(db, model=model)}


@router.post("/api/items/{item_id}/label", dependencies=[CsrfChecked])
def label_item(
    item_id: ItemId, body: LabelIn, user: CurrentUser, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    """Record this annotator's label; the answer reveals the model's prediction (if configured) — never
    the other annotator's label, nor whether the item was agreed or disputed (that would leak it)."""
    submit_label(db, item_id=item_id, user=user, label=body.label)
    prediction = None
    if settings.labeling_reveal_prediction:
        # The kernel's public surface has no `get_item`; its row loader and annotator view serve the reveal.
        prediction = prediction_view(to_item(load_item(db, item_id)))
    return {"item_id": item_id, "label": body.label, "prediction": prediction}


@router.post("/api/items/{item_id}/skip", dependencies=[CsrfChecked])
def skip(item_id: ItemId, user: CurrentUser, db: Db) -> dict[str, Any]:
    """Pass on an item; it goes to someone else and never comes back to this annotator."""
    skip_item(db, item_id=item_id, user=user)
    return {"item_id": item_id, "skipped": True}


@router.post("/api/undo", dependencies=[CsrfChecked])
def undo(user: CurrentUser, db: Db) -> dict[str, Any]:
    """Withdraw this annotator's last label (while its item is unresolved) and return the item to redo."""
    item = undo_last(db, user=user)
    return {"item": item_view(item) if item else None}
