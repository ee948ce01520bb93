"""What users and labels say about a message: feedback votes, the key of a labelled message, and the
columns a message's label brings to the training frame."""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from closedloop.kinds.contract import Vote
from closedloop.kinds.spam.config import FEEDBACK_VOTES
from closedloop.store.errors import InvalidLabel

# subject_key, then the message as the label stores it (subject line, body, the model's text)
LABEL_COLUMNS = {"subject_key": "object", "subject": "object", "body": "object", "text": "object"}


def message_key(text: str) -> str:
    """The key of a message: the same text reported via different predictions is one subject."""
    return "sha256:" + sha256(text.encode()).hexdigest()


def message_text(given: dict[str, Any]) -> str:
    """The logged model text of a prediction's input (older rows may carry only subject and body)."""
    return given.get("text") or f"{given.get('subject', '')}\n\n{given.get('body', '')}"


class SpamFeedback:
    """Feedback and label hooks: a report votes spam or ham on the message's text."""

    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        return None  # any value (a reason, or none) fits a report on a message

    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        if kind not in FEEDBACK_VOTES:
            return None
        text = message_text(given)
        subject = {"text": text, "subject": given.get("subject"), "body": given.get("body")}
        return Vote(key=message_key(text), subject=subject, label=FEEDBACK_VOTES[kind])

    def subject_key(self, subject: dict[str, Any]) -> str:
        if not isinstance(subject.get("text"), str):
            raise InvalidLabel('a spam label needs the message: subject={"text": ..., "subject"?, "body"?}')
        return message_key(subject["text"])

    def label_columns(self) -> dict[str, str]:
        return dict(LABEL_COLUMNS)
