"""The annotator's workspace: the page, and the small JSON API it drives with the keyboard (next item, label,
skip, undo). Every POST needs the session's CSRF token in the `X-CSRF-Token` header."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from closedloop.labeling import next_item, queue_depth, skip_item, submit_label, undo_last
from closedloop.labeling.queue import to_item
from closedloop.labeling.rows import load_item
from services.labeling.deps import CsrfChecked, CurrentUser, Db, ItemId, KindsDep, ModelFilter, SettingsDep
from services.labeling.pages import render
from services.labeling.views import item_view, kind_of_item, prediction_view, task_links

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)


class LabelIn(BaseModel):
    label: int = Field(ge=-(2**31), lt=2**31, description="One of the item's task's answer values.")


@router.get("", response_class=HTMLResponse)
def workspace(
    request: Request, user: CurrentUser, settings: SettingsDep, kinds: KindsDep, model: ModelFilter = None
) -> HTMLResponse:
    """The labeling page: one item at a time, labelled with the keyboard."""
    context = {
        "model": model,
        "reveal": settings.labeling_reveal_prediction,
        "tasks": task_links(kinds),
        "kinds": list(kinds.values()),
    }
    return render(request, "workspace.html", context)


@router.get("/api/next")
def next_for_me(user: CurrentUser, db: Db, kinds: KindsDep, model: ModelFilter = None) -> dict[str, Any]:
    """The next item for this annotator (null when none is left) and the queue depth."""
    item = next_item(db, user=user, model=model)
    view = item_view(item, kind_of_item(kinds, item)) if item else None
    return {"item": view, "queue_depth": queue_depth(db, model=model)}


@router.post("/api/items/{item_id}/label", dependencies=[CsrfChecked])
def label_item(
    item_id: ItemId, body: LabelIn, user: CurrentUser, db: Db, settings: SettingsDep, kinds: KindsDep
) -> dict[str, Any]:
    """Record this annotator's label; the answer reveals the model's prediction (if configured) — never
    the other annotator's label, nor whether the item was agreed or disputed (that would leak it)."""
    submit_label(db, item_id=item_id, user=user, label=body.label)
    prediction = None
    if settings.labeling_reveal_prediction:
        # The kernel's public surface has no `get_item`; its row loader and annotator view serve the reveal.
        item = to_item(load_item(db, item_id))
        prediction = prediction_view(item, kind_of_item(kinds, item))
    return {"item_id": item_id, "label": body.label, "prediction": prediction}


@router.post("/api/items/{item_id}/skip", dependencies=[CsrfChecked])
def skip(item_id: ItemId, user: CurrentUser, db: Db) -> dict[str, Any]:
    """Pass on an item; it goes to someone else and never comes back to this annotator."""
    skip_item(db, item_id=item_id, user=user)
    return {"item_id": item_id, "skipped": True}


@router.post("/api/undo", dependencies=[CsrfChecked])
def undo(user: CurrentUser, db: Db, kinds: KindsDep) -> dict[str, Any]:
    """Withdraw this annotator's last label (while its item is unresolved) and return the item to redo."""
    item = undo_last(db, user=user)
    return {"item": item_view(item, kind_of_item(kinds, item)) if item else None}
