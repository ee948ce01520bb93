"""Which feedback fits which prediction: checked once, at the store's boundary, before anything is written."""

from __future__ import annotations

from typing import Any

from closedloop.store.errors import InvalidFeedback
from closedloop.store.records import KINDS_BY_MODEL, FeedbackIn

RATING_RANGE = range(1, 6)  # MovieLens stars


def check_feedback(event: FeedbackIn, *, model: str, output: dict[str, Any]) -> None:
    """Raise `InvalidFeedback` unless `event` fits a `model` prediction whose output was `output`.

    Spam predictions take `report_spam` / `not_spam` (any value, e.g. a reason, or none). Recommendations take
    `click` / `dismiss` with the item id as value, or `rating` with `{"item_id", "rating": 1..5}`; the item
    must be one the prediction recommended, since feedback is about what the user was shown.
    """
    allowed = KINDS_BY_MODEL[model]
    if event.kind not in allowed:
        raise InvalidFeedback(
            f"{event.kind!r} feedback does not apply to a {model} prediction; use one of {sorted(allowed)}"
        )
    if model != "recsys":
        return
    item_id = feedback_item(kind=event.kind, value=event.value)
    if item_id not in output.get("items", []):
        raise InvalidFeedback(
            f"item {item_id!r} was not recommended by prediction {event.prediction_id!r}; "
            "feedback must be about a recommended item"
        )


def feedback_item(*, kind: str, value: Any) -> int:
    """The item a recommendation feedback event is about (validating the value's shape on the way)."""
    if kind == "rating":
        if not isinstance(value, dict) or not _is_int(value.get("item_id")):
            raise InvalidFeedback('rating feedback needs a value {"item_id": int, "rating": 1..5}')
        if not _is_int(value.get("rating")) or value["rating"] not in RATING_RANGE:
            raise InvalidFeedback(f"rating must be an integer from 1 to 5, got {value.get('rating')!r}")
        return int(value["item_id"])
    if not _is_int(value):
        raise InvalidFeedback(f"{kind} feedback needs the item id (an integer) as its value")
    return int(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
