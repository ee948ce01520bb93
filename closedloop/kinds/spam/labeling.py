"""How a logged spam prediction becomes a labeling item, and a settled item a consensus label."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Describe, QueueItem
from closedloop.kinds.spam.feedback import message_text
from closedloop.labeling.tasks import spam_subject
from closedloop.store.subjects import spam_subject_key


class SpamLabeling:
    """Labeling hooks: one item per message, shown as subject, sender and body."""

    def queue_items(
        self,
        given: dict[str, Any],
        output: dict[str, Any],
        shadow: dict[str, Any] | None,
        describe: Describe | None,
    ) -> list[QueueItem]:
        text = message_text(given)
        score = output.get("spam_probability")
        threshold = output.get("threshold", 0.5)
        shadow = shadow or {}
        label = int(bool(output.get("is_spam", score is not None and score >= threshold)))
        return [
            QueueItem(
                key=spam_subject_key(text),
                subject={**spam_subject(given), "text": text},
                model_label=label,
                score=score,
                threshold=threshold,
                challenger_score=shadow.get("spam_probability"),
                challenger_threshold=shadow.get("threshold", 0.5),
            )
        ]

    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        return {
            "text": item_subject.get("text"),
            "subject": item_subject.get("subject"),
            "body": item_subject.get("body"),
        }
