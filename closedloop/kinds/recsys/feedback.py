"""What users and labels say about a recommended item: clicks, dismissals and ratings as relevance votes,
the key of a (user, item) label, and the columns it brings to the training frame."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Vote
from closedloop.kinds.recsys.config import RATING_RELEVANCE
from closedloop.store.errors import InvalidFeedback, InvalidLabel

RATING_RANGE = range(1, 6)  # MovieLens stars
LABEL_COLUMNS = {"user_id": "int64", "item_id": "int64"}


def pair_key(user_id: int, item_id: int) -> str:
    """The key of a (user, item) pair: all feedback of one user on one item is one subject."""
    return f"{user_id}:{item_id}"


def feedback_item(*, kind: str, value: Any) -> int:
    """The item a feedback event is about, validating the value's shape on the way: the item id for a
    click or dismissal, {"item_id", "rating": 1..5} for a rating."""
    if kind == "rating":
        if not isinstance(value, dict) or not _is_int(value.get("item_id")):
            raise InvalidFeedback('rating feedback needs a value {"item_id": int, "rating": 1..5}')
        if not _is_int(value.get("rating")) or value["rating"] not in RATING_RANGE:
            raise InvalidFeedback(f"rating must be an integer from 1 to 5, got {value.get('rating')!r}")
        return int(value["item_id"])
    if not _is_int(value):
        raise InvalidFeedback(f"{kind} feedback needs the item id (an integer) as its value")
    return int(value)


class RecsysFeedback:
    """Feedback and label hooks: clicks, dismissals and ratings of a recommended item."""

    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        item_id = feedback_item(kind=kind, value=value)
        if item_id not in output.get("items", []):
            raise InvalidFeedback(
                f"item {item_id!r} was not recommended by this prediction; "
                "feedback must be about a recommended item"
            )

    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        item = feedback_item(kind=kind, value=value)
        user = int(given["user_id"])
        if kind == "rating":  # explicit: outranks the same user's clicks and dismissals
            label, strong = RATING_RELEVANCE[int(value["rating"])], True
        else:
            label, strong = (1 if kind == "click" else 0), False
        return Vote(
            key=pair_key(user, item), subject={"user_id": user, "item_id": item}, label=label, strong=strong
        )

    def subject_key(self, subject: dict[str, Any]) -> str:
        ids = subject.get("user_id"), subject.get("item_id")
        if not all(_is_int(i) for i in ids):
            raise InvalidLabel('a recsys label needs subject={"user_id": int, "item_id": int}')
        return pair_key(subject["user_id"], subject["item_id"])

    def label_columns(self) -> dict[str, str]:
        return dict(LABEL_COLUMNS)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
