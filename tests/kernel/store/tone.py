"""A model kind closedloop does not ship, for the tests that show the store, the labeling kernel and the
labeling UI work for any registered kind: the tone of product reviews, with thumbs as feedback.

Register it with `CLOSEDLOOP_KINDS=tests.kernel.store.tone:KIND` (or `Settings(kinds=[REFERENCE])`). Only its
feedback, label and labeling hooks are real; it trains and serves nothing.
"""

from __future__ import annotations

from typing import Any, NoReturn

from closedloop.kinds import Answer, KindConfig, LabelingTask, ModelKind, QueueItem, Vote
from closedloop.store import InvalidFeedback, InvalidLabel

REFERENCE = "tests.kernel.store.tone:KIND"
CONFIG = KindConfig(
    name="review-tone",  # longer than the 16 characters the schema once allowed
    registered_name="review-tone-model",
    title="Review tone",
    metric="accuracy",
    candidates=("lexicon",),
    default_candidates=("lexicon",),
    feedback_kinds=("thumbs_up", "thumbs_down"),
    label_values=(0, 1),
    task=LabelingTask(name="tone", answers=(Answer(1, "p", "positive"), Answer(0, "n", "negative"))),
    floors=(),
    position=30,
)


def review_key(review_id: int) -> str:
    return f"review:{review_id}"


class ReviewTone(ModelKind):
    """Predictions: input {"review_id", "review"}, output {"positive": probability}."""

    config = CONFIG

    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        if value is not None:
            raise InvalidFeedback(f"{kind} takes no value")

    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        subject = {"review_id": given["review_id"], "review": given["review"]}
        return Vote(key=review_key(given["review_id"]), subject=subject, label=int(kind == "thumbs_up"))

    def subject_key(self, subject: dict[str, Any]) -> str:
        if not isinstance(subject.get("review_id"), int):
            raise InvalidLabel('a tone label needs subject={"review_id": int, "review": str}')
        return review_key(subject["review_id"])

    def label_columns(self) -> dict[str, str]:
        return {"review_id": "int64", "review": "object"}

    def queue_items(
        self, given: dict[str, Any], output: dict[str, Any], shadow: dict[str, Any] | None, describe: Any
    ) -> list[QueueItem]:
        positive = output["positive"]
        subject = {"review_id": given["review_id"], "review": given["review"]}
        label = int(positive >= 0.5)
        key = review_key(given["review_id"])
        return [QueueItem(key=key, subject=subject, model_label=label, score=positive, threshold=0.5)]

    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        return {"review_id": item_subject["review_id"], "review": item_subject["review"]}

    def gold_item(self, item: dict[str, Any]) -> QueueItem:
        return QueueItem(key=review_key(int(item["review_id"])), subject=dict(item), model_label=None)

    # what it would take to train and serve it is not what these tests are about
    def fetch(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError("a test kind: labels only")

    snapshot = train = judge = wrap = input_example = fetch

    def routes(self) -> list[Any]:
        return []  # it serves nothing: the app mounts no route for it

    def warm(self, wrapper: Any) -> None:
        return None


KIND = ReviewTone()
