"""Refilling the queue by hand (adjudicators and admins): the kernel picks items from the newest logged
predictions with the deployed policy (settings `labeling_batch_size`, `labeling_random_share`,
`labeling_window`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import sessionmaker

from closedloop.labeling import deployed_policy, item_describer, refill_queue
from services.labeling.deps import Adjudicator, CsrfChecked, Db, KindsDep, SettingsDep, registered

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)


@router.post("/queue/refill", dependencies=[CsrfChecked])
def refill(
    model: Annotated[str, Form(max_length=64)],
    user: Adjudicator,
    db: Db,
    settings: SettingsDep,
    kinds: KindsDep,
) -> RedirectResponse:
    """Queue the most informative unlabelled predictions of `model`; back to the agreement page."""
    registered(kinds, model)
    describe = item_describer(settings, model, sessions=sessionmaker(db.get_bind()))
    added = refill_queue(db, model=model, policy=deployed_policy(settings), describe=describe)
    return RedirectResponse(f"/label/agreement?refilled={added}&model={model}", status_code=303)
