"""The spam filter's serving: its routes (one message, or a batch of up to 1,000), warming a loaded model,
and shadow-scoring with the challenger."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Route
from closedloop.kinds.spam.config import NAME
from closedloop.kinds.spam.schemas import SpamBatchIn, SpamBatchOut, SpamIn, SpamOut
from closedloop.kinds.spam.scoring import answers, checked_text, probabilities, spam_output
from closedloop.serving import ServingContext, fast_inference

WARM_UP_TEXT = "Re: meeting notes\n\nwarm-up message"


async def predict_spam(item: SpamIn, context: ServingContext) -> SpamOut:
    """Score one message.

    Send `text`, or `subject` and `body`. The answer carries a `prediction_id` to send feedback against
    and the `model_version` that scored it.
    """
    served = context.champion()
    text = checked_text(item, context.settings, "body")
    # Concurrent requests are scored together, in one model call.
    probability = await context.batched(served, probabilities, text)
    [answer] = answers(context, served, [text], [probability])
    return answer


def predict_spam_batch(batch: SpamBatchIn, context: ServingContext) -> SpamBatchOut:
    """Score up to 1,000 messages at once; each gets its own prediction id."""
    # A plain function: a large batch takes milliseconds of CPU, so it runs off the event loop.
    served = context.champion()
    texts = [checked_text(item, context.settings, f"body.items.{i}") for i, item in enumerate(batch.items)]
    with fast_inference():
        scores = probabilities(served.wrapper, texts)
    return SpamBatchOut(predictions=answers(context, served, texts, scores), model_version=served.version)


class SpamServing:
    """Serving hooks: the prediction routes, warming, and the challenger's shadow scores."""

    def routes(self) -> list[Route]:
        return [
            Route(path=f"/{NAME}/predict", request=SpamIn, response=SpamOut, handler=predict_spam),
            Route(
                path=f"/{NAME}/predict:batch",
                request=SpamBatchIn,
                response=SpamBatchOut,
                handler=predict_spam_batch,
            ),
        ]

    def warm(self, wrapper: Any) -> None:
        with fast_inference():
            wrapper.spam_probability([WARM_UP_TEXT])

    def shadow_score(self, wrapper: Any, records: list[Any]) -> list[Any]:
        with fast_inference():
            scores = probabilities(wrapper, [r.input["text"] for r in records])
        return [
            r.model_copy(update={"shadow_output": spam_output(p, wrapper.threshold)})
            for r, p in zip(records, scores, strict=True)
        ]
