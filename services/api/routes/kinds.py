"""The model kinds' own routes: every `Route` a registered kind declares, mounted under `/v1`.

Each route becomes a `POST` endpoint whose signature FastAPI reads like any other: the kind's request model
as the body, the kind's serving context as a dependency, the client key checked. So the OpenAPI document
shows each kind's schemas, summaries (the handler docstring's first line) and answers (422, and 503 while
the kind has no model loaded) without this module naming a kind.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from closedloop.kinds import ModelKind, Route
from closedloop.serving import ServingContext, collecting_commits, committed
from services.api.deps import ApiKeyHeader, require_client_key
from services.api.runtime import Runtime

PREFIX = "/v1"
Endpoint = Callable[..., Awaitable[Any]]


def kind_router(kind: ModelKind) -> APIRouter:
    """A router with `kind`'s routes, tagged with its title."""
    # The client key is checked by each endpoint's context dependency (`_context_of`), not by a router
    # dependency of its own: one dependency fewer to solve per request.
    router = APIRouter(prefix=PREFIX, tags=[kind.config.title])
    not_loaded: dict[int | str, dict[str, Any]] = {
        503: {
            "description": f"No {kind.config.title.lower()} model is loaded yet; retry after `Retry-After`."
        }
    }
    for route in kind.routes():
        summary, description = _documentation(route)
        router.add_api_route(
            route.path,
            _endpoint(kind.name, route),
            methods=["POST"],
            response_model=route.response,
            summary=summary,
            description=description,
            responses={**not_loaded, **route.responses},
            name=route.handler.__name__,
        )
    return router


def _documentation(route: Route) -> tuple[str, str]:
    """(summary, description): the route's own, or the first line and the rest of its handler's docstring."""
    lines = inspect.cleandoc(route.handler.__doc__ or "").splitlines() or [""]
    summary = route.summary or lines[0]
    description = route.description or "\n".join(lines[1:]).strip() or summary
    return summary, description


def _context_of(kind: str) -> Callable[..., Awaitable[ServingContext]]:
    # The runtime read from the request, not through `RuntimeDep`: each dependency level FastAPI solves
    # costs tens of µs per request, and a prediction's answer is a few ms.
    async def serving_context(request: Request, x_api_key: ApiKeyHeader = None) -> ServingContext:
        runtime: Runtime = request.app.state.runtime
        await require_client_key(runtime, x_api_key)  # 401/403 without a client key (unless opted out)
        return runtime.contexts[kind]

    return serving_context


def _endpoint(kind: str, route: Route) -> Endpoint:
    """An endpoint calling `route.handler(body, context)`: a coroutine on the event loop, a plain function in
    the thread pool (as FastAPI runs a `def` endpoint); it answers once its predictions are committed."""
    handler = route.handler
    if inspect.iscoroutinefunction(handler):

        async def answer(body: Any, context: ServingContext) -> Any:
            return await handler(body, context)

    else:

        async def answer(body: Any, context: ServingContext) -> Any:
            return await run_in_threadpool(handler, body, context)

    async def endpoint(body: Any, context: ServingContext) -> Any:
        # The answer waits for the commit of its predictions (shared with concurrent requests): an id the
        # client sees survives a crash of the server.
        with collecting_commits() as commits:
            result = await answer(body, context)
        await committed(commits)
        return result

    context = Annotated[ServingContext, Depends(_context_of(kind))]
    parameters = [
        inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=route.request),
        inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=context),
    ]
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=route.response)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = handler.__name__
    return endpoint
