"""User feedback on predictions, acknowledged only once committed."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from closedloop.kinds import ModelKind
from closedloop.store import FeedbackIn, IdempotencyConflict, InvalidFeedback, PredictionNotFound
from services.api.deps import Caller, ClientKey, RuntimeDep
from services.api.schemas import FeedbackAck, FeedbackBody

REASONS = {PredictionNotFound: "not_found", IdempotencyConflict: "conflict", InvalidFeedback: "invalid"}
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": FeedbackAck, "description": "A replay of an event already stored: the original result."},
    404: {"description": "No prediction with this id."},
    409: {"description": "This event_id was already used for different feedback."},
    422: {"description": "The kind or value does not fit the prediction."},
}


def feedback_router(kinds: Sequence[ModelKind]) -> APIRouter:
    """The feedback route, its description listing the feedback kinds of each served model kind."""
    router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[ClientKey])
    taken = "\n".join(
        f"- {kind.config.title} (`{kind.name}`): " + ", ".join(f"`{k}`" for k in kind.config.feedback_kinds)
        for kind in kinds
    )
    router.add_api_route(
        "/feedback",
        send_feedback,
        methods=["POST"],
        status_code=202,
        responses=ANSWERS,
        description=f"{inspect.cleandoc(send_feedback.__doc__ or '')}\n\nFeedback kinds by model:\n\n{taken}",
    )
    return router


async def send_feedback(
    body: FeedbackBody, runtime: RuntimeDep, response: Response, caller: Caller
) -> FeedbackAck:
    """Record feedback on a prediction.

    202 means the event is committed to the store. Retrying with the same `event_id` and payload is safe:
    it answers 200 with the original event's body and stores nothing new; the same `event_id` with a
    different payload is a 409. Which `kind`s a prediction takes depends on the model that made it (listed
    below), and the `value` must fit both the kind and the prediction; one that does not is a 422.

    Your key answers for the `actor`s you name: under a trusted key each actor is a voter of their own;
    under an untrusted key all your actors together cast one vote of reduced weight; without a key (where
    the deployment allows it) feedback is stored but never becomes a training label.
    """
    sender = {"api_key_id": None, "sender_trust": "anonymous"}
    if caller is not None:
        sender = {"api_key_id": caller.id, "sender_trust": caller.trust}
    event = FeedbackIn.model_validate({**body.model_dump(), **sender})
    if runtime.predictions.pending(event.prediction_id):
        # The prediction is still queued for logging: wait for its commit instead of a spurious 404.
        await run_in_threadpool(runtime.predictions.wait_logged, event.prediction_id)
    try:
        ack = await asyncio.wrap_future(runtime.feedback.submit(event))
    except (PredictionNotFound, IdempotencyConflict, InvalidFeedback) as error:
        runtime.metrics.feedback_rejected.labels(REASONS[type(error)]).inc()
        raise
    result = "created" if ack.created else "replayed"
    runtime.metrics.feedback.labels(ack.model, ack.model_version, result).inc()
    if not ack.created:
        response.status_code = 200
    record = ack.record
    return FeedbackAck(
        feedback_id=record.id,
        event_id=record.event_id,
        prediction_id=record.prediction_id,
        kind=record.kind,
        received_at=record.received_at.isoformat(),
    )
