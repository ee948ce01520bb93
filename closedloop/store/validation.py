"""Which feedback fits which prediction: checked once, at the store's boundary, before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from closedloop.store.errors import InvalidFeedback
from closedloop.store.records import FeedbackIn

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind


def check_feedback(
    event: FeedbackIn, *, model: str, output: dict[str, Any], kinds: Mapping[str, ModelKind]
) -> None:
    """Raise `InvalidFeedback` unless `event` fits a `model` prediction whose output was `output`.

    `model` must be one of `kinds` (by name), the event's kind one of its `config.feedback_kinds`, and its
    value what the kind's `check_feedback` accepts (e.g. an item the recommendation held).
    """
    kind = kinds.get(model)
    if kind is None:
        raise InvalidFeedback(
            f"prediction {event.prediction_id!r} is of model kind {model!r}, which is not registered here; "
            f"registered kinds: {', '.join(sorted(kinds)) or 'none'}"
        )
    allowed = kind.config.feedback_kinds
    if event.kind not in allowed:
        raise InvalidFeedback(
            f"{event.kind!r} feedback does not apply to a {model} prediction; use one of {sorted(allowed)}"
        )
    kind.check_feedback(event.kind, event.value, output)
