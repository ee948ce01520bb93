"""The interaction log: every view, rating, click and dismissal, acknowledged only once committed.

An interaction is for a model kind that learns from interactions (`config.interactions`); its `model`
field names that kind and may be left out while only one kind does. The item must be in the catalogue of
the kind's served champion (`ModelKind.catalogue`), when the kind has one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Container, Sequence
from typing import Any, NoReturn

from fastapi import APIRouter, HTTPException, Response

from closedloop.kinds import ModelKind
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
REASONS = {IdempotencyConflict: "conflict", InvalidInteraction: "invalid"}
ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "An event_id was already used for a different interaction."},
    422: {
        "description": "Malformed, invalid (a rating without 1-5 stars, a future time), an unknown item, "
        "or a `model` that does not learn from interactions."
    },
    503: {
        "description": "No model of the interaction's kind is loaded yet (its catalogue decides which items "
        "exist)."
    },
}


def learns_from_interactions(kinds: Sequence[ModelKind]) -> list[ModelKind]:
    """The kinds whose training data is the interaction log; the interaction routes serve only them."""
    return [kind for kind in kinds if kind.config.interactions]


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
    with offset, default: now) may not lie in the future. `model` names the model kind that learns from it
    (default: the only one that learns from interactions); the item must be in its served catalogue.
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
    catalogues: dict[str, Container[int] | None] = {}
    events = []
    for i, body in enumerate(bodies):
        model = _model(runtime, body.model, where(i))
        if model not in catalogues:
            kind = runtime.kinds[model]
            # 503 while the kind has no model loaded: its catalogue decides which items exist
            catalogues[model] = kind.catalogue(runtime.contexts[model].champion().wrapper)
        event = InteractionIn.model_validate(body.model_dump() | {"model": model})
        try:
            check_interaction(event)
        except InvalidInteraction as error:
            _refuse(runtime, "invalid", f"{where(i)}{error}")
        catalogue = catalogues[model]
        if catalogue is not None and event.item_id not in catalogue:
            _refuse(runtime, "unknown_item", f"{where(i)}unknown item {event.item_id}: not in the catalogue")
        events.append(event)
    return events


def _model(runtime: Runtime, named: str | None, where: str) -> str:
    """The kind an interaction is for: the one it names, or the only kind that learns from interactions."""
    choices = [kind.name for kind in learns_from_interactions(list(runtime.kinds.values()))]
    if named is None and len(choices) == 1:
        return choices[0]
    if named is not None and named in choices:
        return named
    listed = ", ".join(choices) or "none is served"
    if named is None:
        _refuse(runtime, "invalid", f"{where}model: name the model this interaction is for, one of: {listed}")
    _refuse(runtime, "invalid", f"{where}model: {named!r} does not learn from interactions; one of: {listed}")


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
