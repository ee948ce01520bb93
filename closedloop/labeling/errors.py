"""Exceptions of the labeling kernel; the web UI and CLI map them to 4xx answers and one-line errors."""

from __future__ import annotations

from closedloop.store import StoreError


class LabelingError(StoreError):
    """Base class for every error the labeling kernel raises on purpose."""


class UserExists(LabelingError):
    """A user with that name already exists. Maps to HTTP 409."""

    def __init__(self, username: str) -> None:
        super().__init__(f"user {username!r} already exists; pick another name or disable the old account")
        self.username = username


class UnknownUser(LabelingError, LookupError):
    """No user with that name. Maps to HTTP 404."""

    def __init__(self, username: str) -> None:
        super().__init__(f"no user named {username!r}; `closedloop users list` shows who exists")
        self.username = username


class InvalidCredentials(LabelingError, ValueError):
    """A username or password that does not meet the rules (too short, odd characters). Maps to HTTP 422."""


class ItemUnavailable(LabelingError):
    """The item cannot take this action now: unknown, already has its two labels, resolved, or not
    disputed (for adjudication). Maps to HTTP 409 (404 for an unknown id); the UI moves on."""


class AlreadyLabelled(LabelingError):
    """This annotator already labelled or skipped the item (nobody labels an item twice). Maps to HTTP 409."""

    def __init__(self, item_id: int, username: str) -> None:
        super().__init__(
            f"{username} already answered item {item_id}; press U to undo the last label instead"
        )
        self.item_id = item_id


class NotHandedOut(LabelingError, PermissionError):
    """The queue never handed this item to this annotator: items are labelled as served, never picked by id.
    Maps to HTTP 403."""

    def __init__(self, item_id: int, username: str) -> None:
        super().__init__(
            f"item {item_id} was not handed to {username}; "
            "label the items the queue serves (GET /label/api/next)"
        )
        self.item_id = item_id


class NotPermitted(LabelingError, PermissionError):
    """The user's role does not allow this action (e.g. an annotator adjudicating). Maps to HTTP 403."""


class InvalidItemLabel(LabelingError, ValueError):
    """A label that is not one of the answers of the item's task (its kind's `config.task`). Maps to HTTP
    422."""
