"""The two task types: which labels an annotator may give, and how they become a consensus label."""

from __future__ import annotations

from typing import Any

from closedloop.labeling.errors import InvalidItemLabel

TASK_BY_MODEL = {"spam": "spam", "recsys": "relevance"}
LABELS = {"spam": range(2), "relevance": range(1, 5)}  # spam: 0 ham / 1 spam; relevance grades 1-4
RELEVANT_FROM = 3  # grades 3-4 count as relevant


def check_item_label(task: str, label: int) -> None:
    """Raise `InvalidItemLabel` unless `label` is a valid answer for `task`."""
    allowed = LABELS[task]
    if isinstance(label, bool) or not isinstance(label, int) or label not in allowed:
        what = "0 (ham) or 1 (spam)" if task == "spam" else "a relevance grade from 1 to 4"
        raise InvalidItemLabel(f"a {task} item takes {what}, got {label!r}")


def consensus_value(task: str, label: int) -> int:
    """The label stored for training: spam as given; relevance 1 (relevant) for grades >= 3, else 0."""
    if task == "relevance":
        return 1 if label >= RELEVANT_FROM else 0
    return label


def spam_subject(given: dict[str, Any]) -> dict[str, Any]:
    """What an annotator sees of a logged spam prediction's input: {"subject", "sender", "body"}.

    The API logs only the model's text (`subject + "\\n\\n" + body`), so it is split at the first blank line.
    """
    text = given.get("text") or f"{given.get('subject', '')}\n\n{given.get('body', '')}"
    subject, sep, body = text.partition("\n\n")
    if not sep:
        subject, body = "", text
    return {
        "subject": given.get("subject", subject),
        "sender": given.get("sender") or given.get("sender_domain") or "",
        "body": given.get("body", body),
    }


def label_subject(model: str, subject: dict[str, Any], text: str | None) -> dict[str, Any]:
    """The subject of the consensus label (the store's shape): spam {"text", "subject", "body"}."""
    if model == "spam":
        return {"text": text, "subject": subject.get("subject"), "body": subject.get("body")}
    return {"user_id": subject["user_id"], "item_id": subject["item_id"]}
