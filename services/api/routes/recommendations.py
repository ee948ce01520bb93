"""Recommendations for a user; users unseen in training get the most popular items (`cold_start`)."""

from __future__ import annotations

from fastapi import APIRouter

from services.api.deps import ClientKey, RuntimeDep
from services.api.schemas import RecommendIn, RecommendOut
from services.api.scoring import recommend

router = APIRouter(prefix="/v1", tags=["recommendations"], dependencies=[ClientKey])


@router.post("/recommendations", responses={503: {"description": "No recommender loaded yet."}})
async def recommend_items(request: RecommendIn, runtime: RuntimeDep) -> RecommendOut:
    """Recommend up to `k` items for a user.

    `exclude_seen` leaves out what the user rated in training. An unknown user gets the popularity
    fallback, flagged `cold_start`.
    """
    served = runtime.champion("recsys")
    result = recommend(served, request, log=runtime.predictions)
    runtime.metrics.predictions.labels("recsys", served.version).inc()
    return result
