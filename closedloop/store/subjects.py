"""What a label is about: the key that identifies a subject, and which labels fit which model."""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from closedloop.store.errors import InvalidLabel
from closedloop.store.records import SOURCE_RANK

LABEL_RANGE = {"spam": range(2), "recsys": range(4)}  # spam: 0 ham / 1 spam; recsys: relevance 0..3


def spam_subject_key(text: str) -> str:
    """The key of a message: the same text reported via different predictions is one subject."""
    return "sha256:" + sha256(text.encode()).hexdigest()


def recsys_subject_key(user_id: int, item_id: int) -> str:
    """The key of a (user, item) pair: all feedback of one user on one item is one subject."""
    return f"{user_id}:{item_id}"


def check_label(
    *, model: str, subject: dict[str, Any], label: int, source: str, subject_key: str | None = None
) -> str:
    """Validate a label at the store's boundary (raises `InvalidLabel`); returns its subject's key."""
    if model not in LABEL_RANGE:
        raise InvalidLabel(f"unknown model {model!r}; expected one of {sorted(LABEL_RANGE)}")
    if source not in SOURCE_RANK:
        raise InvalidLabel(f"unknown label source {source!r}; expected one of {sorted(SOURCE_RANK)}")
    if isinstance(label, bool) or label not in LABEL_RANGE[model]:
        allowed = LABEL_RANGE[model]
        raise InvalidLabel(
            f"a {model} label must be an integer {allowed.start}..{allowed.stop - 1}, got {label!r}"
        )
    if model == "spam":
        if not isinstance(subject.get("text"), str):
            raise InvalidLabel('a spam label needs the message: subject={"text": ..., "subject"?, "body"?}')
        return subject_key or spam_subject_key(subject["text"])
    ids = subject.get("user_id"), subject.get("item_id")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidLabel('a recsys label needs subject={"user_id": int, "item_id": int}')
    return subject_key or recsys_subject_key(subject["user_id"], subject["item_id"])
