"""What users and labels say about a (user, item) pair: feedback on a recommendation, and a label's key."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Vote
from closedloop.kinds.recsys.config import RATING_RELEVANCE
from closedloop.store.errors import InvalidFeedback, InvalidLabel
from closedloop.store.subjects import recsys_subject_key
from closedloop.store.validation import feedback_item


class RecsysFeedback:
    """Feedback and label hooks: clicks, dismissals and ratings of a recommended item."""

    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        item_id = feedback_item(kind=kind, value=value)
        if item_id not in output.get("items", []):
            raise InvalidFeedback(
                f"item {item_id!r} was not in the recommendation; feedback must be about a recommended item"
            )

    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        item = feedback_item(kind=kind, value=value)
        user = int(given["user_id"])
        if kind == "rating":
            label, strong = RATING_RELEVANCE[int(value["rating"])], True
        else:
            label, strong = (1 if kind == "click" else 0), False
        return Vote(
            key=recsys_subject_key(user, item),
            subject={"user_id": user, "item_id": item},
            label=label,
            strong=strong,
        )

    def subject_key(self, subject: dict[str, Any]) -> str:
        ids = subject.get("user_id"), subject.get("item_id")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise InvalidLabel('a recsys label needs subject={"user_id": int, "item_id": int}')
        return recsys_subject_key(subject["user_id"], subject["item_id"])
