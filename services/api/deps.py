"""Dependencies of the route handlers, as `Annotated` aliases so that signatures read like sentences.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per
dependency per request that cost more than scoring a small model.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from closedloop.serving.keys import HOW_TO_CREATE, ApiKey, Role, find_key
from services.api.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key", description="Your API key.")]


def _caller(runtime: Runtime, given: str | None, *, role: Role) -> ApiKey | None:
    """The key of `role` behind this call; None: a call without a key, which only the explicit opt-in
    `allow_anonymous_writes` lets through (on admin routes only while no admin key exists)."""
    keys = runtime.keys
    exists = any(key.role == role for key in keys)
    if given is None and runtime.settings.allow_anonymous_writes and (role == "client" or not exists):
        return None
    if not exists:
        raise HTTPException(
            401,
            detail=f"no {role} API key is configured, so this route refuses calls: {HOW_TO_CREATE}, then "
            "send it as the X-API-Key header (CLOSEDLOOP_ALLOW_ANONYMOUS_WRITES=true opens it to anyone)",
        )
    if given is None:
        raise HTTPException(401, detail=f"missing X-API-Key header: this route needs a {role} key")
    found = find_key(keys, given, role=role)
    if found is None:
        raise HTTPException(403, detail=f"this X-API-Key is not a valid {role} key")
    return found


async def require_client_key(runtime: RuntimeDep, x_api_key: ApiKeyHeader = None) -> ApiKey | None:
    """The client key of the call (None: anonymous, where allowed); 401/403 otherwise."""
    return _caller(runtime, x_api_key, role="client")


async def require_admin_key(runtime: RuntimeDep, x_api_key: ApiKeyHeader = None) -> ApiKey | None:
    """The admin key of the call; 401/403 otherwise."""
    return _caller(runtime, x_api_key, role="admin")


ClientKey = Depends(require_client_key)
AdminKey = Depends(require_admin_key)
# The client key behind a call, for a handler that records who sent something (None: anonymous).
Caller = Annotated[ApiKey | None, ClientKey]
