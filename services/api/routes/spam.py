"""Spam predictions: one message, or a batch of up to 1,000."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from closedloop.settings import Settings
from services.api.deps import ClientKey, RuntimeDep
from services.api.schemas import SpamBatchIn, SpamBatchOut, SpamIn, SpamOut
from services.api.scoring import score_spam, spam_results, spam_text

router = APIRouter(prefix="/v1/spam", tags=["spam"], dependencies=[ClientKey])


def _checked_text(item: SpamIn, settings: Settings, where: str) -> str:
    """Enforce the configured length caps (422 naming the field and the limit), then build the model text."""
    caps = {
        "text": settings.max_text_chars,
        "body": settings.max_text_chars,
        "subject": settings.max_subject_chars,
    }
    for field, cap in caps.items():
        value = getattr(item, field)
        if value is not None and len(value) > cap:
            raise HTTPException(
                422, detail=f"{where}.{field}: at most {cap} characters are accepted, got {len(value)}"
            )
    return spam_text(item)


@router.post("/predict", responses={503: {"description": "No spam model loaded yet."}})
async def predict_spam(item: SpamIn, runtime: RuntimeDep) -> SpamOut:
    """Score one message.

    Send `text`, or `subject` and `body`. The answer carries a `prediction_id` to send feedback against
    and the `model_version` that scored it.
    """
    served = runtime.champion("spam")
    text = _checked_text(item, runtime.settings, "body")
    probability = await runtime.batcher.probability(served, text)
    [result] = spam_results(
        served,
        [text],
        [probability],
        log=runtime.predictions,
        slots=runtime.slots,
        shadow_share=runtime.settings.shadow_share,
    )
    runtime.metrics.predictions.labels("spam", served.version).inc()
    return result


@router.post("/predict:batch", responses={503: {"description": "No spam model loaded yet."}})
async def predict_spam_batch(batch: SpamBatchIn, runtime: RuntimeDep) -> SpamBatchOut:
    """Score up to 1,000 messages at once; each gets its own prediction id."""
    served = runtime.champion("spam")
    texts = [_checked_text(item, runtime.settings, f"body.items.{i}") for i, item in enumerate(batch.items)]
    # A large batch takes milliseconds of CPU: off the event loop, so single requests are not held up.
    results = await run_in_threadpool(
        score_spam,
        served,
        texts,
        log=runtime.predictions,
        slots=runtime.slots,
        shadow_share=runtime.settings.shadow_share,
    )
    runtime.metrics.predictions.labels("spam", served.version).inc(len(results))
    return SpamBatchOut(predictions=results, model_version=served.version)
