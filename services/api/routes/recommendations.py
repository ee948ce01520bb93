"""Recommendations for a user, ranked from their current history: what they did in training, their logged
interactions and what the request says they liked. Only a user with nothing liked gets the popular items."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from services.api.deps import ClientKey, RuntimeDep
from services.api.schemas import RecommendIn, RecommendOut
from services.api.scoring import recommend

router = APIRouter(prefix="/v1", tags=["recommendations"], dependencies=[ClientKey])
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Malformed request: `k` out of 1-100, or a `history` that is not a list of at most "
        "1,000 non-negative integer item ids."
    },
    503: {"description": "No recommender loaded yet."},
}


@router.post("/recommendations", responses=ERRORS)
async def recommend_items(request: RecommendIn, runtime: RuntimeDep) -> RecommendOut:
    """Recommend up to `k` items for a user, from their current history.

    The user's logged interactions (`POST /v1/interactions`) count at once, with no retrain: views, clicks
    and ratings of 3+ stars as things they like, lower ratings and dismissals as things they do not (their
    latest interaction with an item decides). `history` adds items they liked that are not logged, without
    storing them. With `exclude_seen` nothing they have seen comes back: training items, logged items in
    either direction, and `history`. A user with nothing liked gets the most popular items, flagged
    `cold_start`.
    """
    served = runtime.champion("recsys")
    # The store read blocks (and so does scoring): both run in the thread pool, never on the event loop.
    result = await run_in_threadpool(recommend, served, request, store=runtime.store, log=runtime.predictions)
    runtime.metrics.predictions.labels("recsys", served.version).inc()
    return result
