"""Throwaway model kinds that a test registers (`Settings(kinds=[...])`, as `CLOSEDLOOP_KINDS` would):
`ECHO` brings a route of its own, `TASTE` learns from interactions. Both borrow every hook but serving
from the built-in kinds, and no registry holds a model of theirs."""

from __future__ import annotations

from dataclasses import replace

from closedloop.kinds.contract import Route
from closedloop.kinds.recsys import Recommender
from closedloop.kinds.spam import SpamFilter
from closedloop.serving import InvalidRequest, RequestBody, ServingContext, Text


class EchoIn(RequestBody):
    text: Text


class EchoOut(RequestBody):
    text: str
    model_version: str


async def echo(body: EchoIn, context: ServingContext) -> EchoOut:
    """Echo a text back, once the echo model is loaded.

    An empty text is refused.
    """
    if not body.text:
        raise InvalidRequest("body.text: give a text to echo")
    served = context.champion()
    return EchoOut(text=body.text, model_version=served.version)


class Echo(SpamFilter):
    config = replace(
        SpamFilter.config, name="echo", registered_name="echo-model", title="Echo", shadow=False, position=90
    )

    def routes(self) -> list[Route]:
        return [Route(path="/echo", request=EchoIn, response=EchoOut, handler=echo)]


class Taste(Recommender):
    config = replace(
        Recommender.config, name="taste", registered_name="taste-model", title="Taste", position=95
    )

    def routes(self) -> list[Route]:
        return []


ECHO = "tests.services.extra_kinds:Echo"
TASTE = "tests.services.extra_kinds:Taste"
