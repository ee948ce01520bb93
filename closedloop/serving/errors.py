"""What a kind's route handler raises when it cannot answer; the API translates each to an HTTP answer.

Handlers are kernel code and never import a web framework: they raise these, and `services/api` turns an
`InvalidRequest` into a 422, a `Busy` into a 409 and an `Unavailable` (such as `ModelNotLoaded`) into a 503,
the last two with `Retry-After`, each with the message.
"""

from __future__ import annotations


class ServingError(Exception):
    """A request that a served model cannot answer; the message says why, for the client."""


class InvalidRequest(ServingError):
    """The request is well-formed but not acceptable (a field over its length cap, an unknown kind, ...);
    the message names the field, as `body.<field>: <what is wrong>`."""


class Unavailable(ServingError):
    """The request cannot be carried out now (a 503 with `Retry-After`); the message says why."""

    def __init__(self, message: str, *, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ModelNotLoaded(Unavailable):
    """No model of this kind is loaded yet (start-up, or an empty registry); the client should retry."""

    def __init__(self, kind: str, *, retry_after_s: int = 5) -> None:
        super().__init__(f"no {kind} model is loaded yet; retry shortly", retry_after_s=retry_after_s)
        self.kind = kind


class Busy(ServingError):
    """The request conflicts with work under way (a 409 with `Retry-After`): retry once it is done."""

    def __init__(self, message: str, *, retry_after_s: int = 2) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
