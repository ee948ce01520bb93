"""What users and labels say about a message: feedback votes, and the key of a labelled message."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Vote
from closedloop.kinds.spam.config import FEEDBACK_VOTES
from closedloop.store.errors import InvalidLabel
from closedloop.store.subjects import spam_subject_key


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
        return Vote(key=spam_subject_key(text), subject=subject, label=FEEDBACK_VOTES[kind])

    def subject_key(self, subject: dict[str, Any]) -> str:
        if not isinstance(subject.get("text"), str):
            raise InvalidLabel('a spam label needs the message: subject={"text": ..., "subject"?, "body"?}')
        return spam_subject_key(subject["text"])
