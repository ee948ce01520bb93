"""Exceptions raised by the feedback store; the API and CLI translate them at the edge (404, 409, 422)."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every error the store raises on purpose."""


class PredictionNotFound(StoreError, LookupError):
    """Feedback (or a label) names a prediction id that was never logged. Maps to HTTP 404."""

    def __init__(self, prediction_id: str) -> None:
        super().__init__(f"no prediction with id {prediction_id!r}; feedback must name a logged prediction")
        self.prediction_id = prediction_id


class InvalidFeedback(StoreError, ValueError):
    """The feedback kind or value does not fit the prediction it is about. Maps to HTTP 422."""


class IdempotencyConflict(StoreError):
    """An `event_id` was replayed with a different payload than the one first stored. Maps to HTTP 409.

    An identical replay is not an error: it returns the original record (as Stripe does).
    """

    def __init__(self, event_id: str, *, original_id: int | None, what: str = "feedback") -> None:
        where = f"stored as #{original_id}" if original_id is not None else "earlier in the same batch"
        super().__init__(
            f"event_id {event_id!r} was already used for different {what} ({where}); "
            "send a new event_id for a new event"
        )
        self.event_id = event_id
        self.original_id = original_id


class InvalidLabel(StoreError, ValueError):
    """A consensus label whose value, subject or source does not fit its model. Maps to HTTP 422."""


class InvalidInteraction(StoreError, ValueError):
    """An interaction whose value does not fit its kind, or whose event time lies in the future. Maps to
    HTTP 422."""
