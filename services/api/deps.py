"""Dependencies of the route handlers, as `Annotated` aliases so that signatures read like sentences.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per
dependency per request that cost more than scoring a small model.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from services.api.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key", description="Your API key.")]


def _check_key(given: str | None, accepted: list[str] | None, *, role: str) -> None:
    if not accepted:
        return  # no keys configured: open (a warning was logged at start-up)
    if given is None:
        raise HTTPException(401, detail=f"missing X-API-Key header: this route needs a {role} key")
    if not any(hmac.compare_digest(given.encode(), key.encode()) for key in accepted):
        raise HTTPException(403, detail=f"this X-API-Key is not a valid {role} key")


async def require_client_key(runtime: RuntimeDep, x_api_key: ApiKeyHeader = None) -> None:
    _check_key(x_api_key, runtime.settings.api_keys, role="client")


async def require_admin_key(runtime: RuntimeDep, x_api_key: ApiKeyHeader = None) -> None:
    _check_key(x_api_key, runtime.settings.admin_api_keys, role="admin")


ClientKey = Depends(require_client_key)
AdminKey = Depends(require_admin_key)
