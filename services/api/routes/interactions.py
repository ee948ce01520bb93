"""The interaction log: every view, rating, click and dismissal, acknowledged only once committed."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from typing import NoReturn

from fastapi import APIRouter, HTTPException, Response

from closedloop.store import (
    IdempotencyConflict,
    InteractionIn,
    InteractionRecord,
    InvalidInteraction,
    check_interaction,
)
from services.api.deps import ClientKey, RuntimeDep
from services.api.runtime import Runtime
from services.api.schemas import InteractionAck, InteractionBatchAck, InteractionBatchIn, InteractionBody

router = APIRouter(prefix="/v1", tags=["interactions"], dependencies=[ClientKey])
MODEL = "recsys"  # the only model that learns from interactions today
REASONS = {IdempotencyConflict: "conflict", InvalidInteraction: "invalid"}
ERRORS = {
    409: {"description": "An event_id was already used for a different interaction."},
    422: {"description": "Malformed, invalid (a rating without 1-5 stars, a future time) or unknown item."},
    503: {"description": "No recommender loaded yet (its catalogue decides which items exist)."},
}


@router.post(
    "/interactions",
    status_code=202,
    responses={200: {"model": InteractionAck, "description": "A replay: the original result."}, **ERRORS},
)
async def log_interaction(body: InteractionBody, runtime: RuntimeDep, response: Response) -> InteractionAck:
    """Log one interaction (view, rating, click or dismiss) of a user with an item.

    202 means the event is committed to the store. Retrying with the same `event_id` and payload is safe:
    it answers 200 with the original result and stores nothing new; the same `event_id` with a different
    payload is a 409. A `rating` takes 1-5 stars as `value`, other kinds no value. `occurred_at` (ISO 8601
    with offset, default: now) may not lie in the future. The item must be in the served catalogue.
    """
    events = _checked(runtime, [body], where=lambda _: "")
    [(record, created)] = await _stored(runtime, events)
    if not created:
        response.status_code = 200
    return _ack(record)


@router.post(
    "/interactions:batch",
    status_code=202,
    responses={200: {"model": InteractionBatchAck, "description": "Every event was a replay."}, **ERRORS},
)
async def log_interactions(
    batch: InteractionBatchIn, runtime: RuntimeDep, response: Response
) -> InteractionBatchAck:
    """Log up to 1,000 interactions at once, all or nothing.

    202 once all are committed (200 when every one was a replay); if any event is invalid or conflicts with
    a stored one, nothing is stored and the answer names it. Each event follows the single route's rules.
    """
    events = _checked(runtime, batch.events, where=lambda i: f"body.events.{i}: ")
    stored = await _stored(runtime, events)
    created = sum(created for _, created in stored)
    if not created:
        response.status_code = 200
    return InteractionBatchAck(
        interactions=[_ack(record) for record, _ in stored], created=created, replayed=len(stored) - created
    )


def _checked(
    runtime: Runtime, bodies: Sequence[InteractionBody], *, where: Callable[[int], str]
) -> list[InteractionIn]:
    """The bodies as store events, each checked here so that a refusal can name its event (422)."""
    catalogue = runtime.champion(MODEL).wrapper.titles  # 503 while no recommender is loaded
    events = []
    for i, body in enumerate(bodies):
        event = InteractionIn.model_validate(body.model_dump() | {"model": MODEL})
        try:
            check_interaction(event)
        except InvalidInteraction as error:
            _refuse(runtime, "invalid", f"{where(i)}{error}")
        if event.item_id not in catalogue:
            _refuse(runtime, "unknown_item", f"{where(i)}unknown item {event.item_id}: not in the catalogue")
        events.append(event)
    return events


def _refuse(runtime: Runtime, reason: str, message: str) -> NoReturn:
    runtime.metrics.interactions_rejected.labels(reason).inc()
    raise HTTPException(422, detail=message)


async def _stored(runtime: Runtime, events: list[InteractionIn]) -> list[tuple[InteractionRecord, bool]]:
    try:
        stored = await asyncio.wrap_future(runtime.interactions.submit(events))
    except (IdempotencyConflict, InvalidInteraction) as error:
        runtime.metrics.interactions_rejected.labels(REASONS[type(error)]).inc()
        raise
    counts = Counter((record.model, record.kind, created) for record, created in stored)
    for (model, kind, created), n in counts.items():
        runtime.metrics.interactions.labels(model, kind, "created" if created else "replayed").inc(n)
    return stored


def _ack(record: InteractionRecord) -> InteractionAck:
    return InteractionAck(
        interaction_id=record.id,
        event_id=record.event_id,
        received_at=record.received_at.isoformat(),
        occurred_at=record.occurred_at.isoformat(),
    )
