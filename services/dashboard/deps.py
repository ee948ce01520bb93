"""What the dashboard reads from the app it is mounted in, as an `Annotated` dependency.

The API's runtime is duck-typed through a Protocol so that the dashboard never imports `services.api`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request

from closedloop.settings import Settings
from closedloop.store import Store


class _Served(Protocol):
    kind: str
    alias: str
    version: str


class _Slots(Protocol):
    def all(self) -> list[_Served]: ...


class _Runtime(Protocol):
    settings: Settings
    store: Store
    slots: _Slots
    metrics: Any  # ApiMetrics: its `latency` is the Prometheus request histogram


@dataclass(frozen=True)
class Sources:
    """Everything one dashboard request reads: settings, the store, the latency histogram, served versions."""

    settings: Settings
    store: Store
    latency: Any | None = None
    served: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> alias -> version


async def get_sources(request: Request) -> Sources:
    runtime: _Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(503, detail="the API runtime is not started yet; retry shortly")
    served: dict[str, dict[str, str]] = {}
    for model in runtime.slots.all():
        served.setdefault(model.kind, {})[model.alias] = model.version
    latency = getattr(runtime.metrics, "latency", None)
    return Sources(settings=runtime.settings, store=runtime.store, latency=latency, served=served)


SourcesDep = Annotated[Sources, Depends(get_sources)]
