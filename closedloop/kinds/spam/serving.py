"""The spam filter's serving hooks: warming a loaded model and shadow-scoring with the challenger."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Route
from closedloop.serving.loading import fast_inference

WARM_UP_TEXT = "Re: meeting notes\n\nwarm-up message"


class SpamServing:
    """Serving hooks (the API's routes for the spam filter are still mounted by services/api)."""

    def routes(self) -> list[Route]:
        return []

    def warm(self, wrapper: Any) -> None:
        with fast_inference():
            wrapper.spam_probability([WARM_UP_TEXT])

    def shadow_score(self, wrapper: Any, records: list[Any]) -> list[Any]:
        with fast_inference():
            probabilities = wrapper.spam_probability([r.input["text"] for r in records]).tolist()
        threshold = wrapper.threshold
        return [
            r.model_copy(
                update={
                    "shadow_output": {
                        "spam_probability": p,
                        "is_spam": p >= threshold,
                        "threshold": threshold,
                    }
                }
            )
            for r, p in zip(records, probabilities, strict=True)
        ]
