"""How a logged spam prediction (or a gold message) becomes a labeling item shown as subject, sender and
body, and a settled item a consensus label."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Describe, QueueItem, Shown
from closedloop.kinds.spam.feedback import message_key, message_text
from closedloop.store.errors import InvalidLabel
from models.spam.corpus import message_text as model_text


def shown_message(given: dict[str, Any]) -> dict[str, Any]:
    """What an annotator sees of a message: {"subject", "sender", "body"}.

    The API logs only the model's text (`subject + "\\n\\n" + body`), so it is split at the first blank line.
    """
    text = message_text(given)
    subject, sep, body = text.partition("\n\n")
    if not sep:
        subject, body = "", text
    return {
        "subject": given.get("subject", subject),
        "sender": given.get("sender") or given.get("sender_domain") or "",
        "body": given.get("body", body),
    }


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
                key=message_key(text),
                subject={**shown_message(given), "text": text},
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

    def gold_item(self, item: dict[str, Any]) -> QueueItem:
        """A known message: {"subject", "body", "sender"?} or {"text"}."""
        text = item.get("text") or model_text(item.get("subject", ""), item.get("body", ""))
        if not isinstance(text, str):
            raise InvalidLabel('a gold message needs {"subject", "body"} or {"text"} as text')
        return QueueItem(
            key=message_key(text),
            subject={**shown_message({**item, "text": text}), "text": text},
            model_label=None,
        )

    def show(self, subject: dict[str, Any]) -> Shown:
        return Shown(
            fields=(
                ("Subject", str(subject.get("subject") or "(no subject)")),
                ("From", str(subject.get("sender") or "(unknown sender)")),
            ),
            body=str(subject.get("body") or ""),
        )

    def truth_label(self, subject: dict[str, Any], answers: dict[str, int]) -> int | None:
        # An item as annotators get it has no `text`: its subject line and body, joined as logged, are it.
        text = subject.get("text") or f"{subject.get('subject', '')}\n\n{subject.get('body', '')}"
        return answers.get(message_key(text))
