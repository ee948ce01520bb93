"""The recommender's request and response bodies: whom to recommend for (and what the client knows they
liked), and the ranked items with their titles."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from closedloop.serving import MAX_JSON_ID, JsonInt, RequestBody, check_json_integer

MAX_HISTORY = 1_000
# a JSON integer, not `true` or "42" (which would count as items 1 and 42)
ItemId = Annotated[int, Field(ge=0, le=MAX_JSON_ID), BeforeValidator(check_json_integer)]


class RecommendIn(RequestBody):
    """Whom to recommend for, how many items, and what the client knows they liked that is not logged yet."""

    # JSON integers, as the ids: `"1"` or `true` for a user id is a client's bug, not user 1 (a 422 says so)
    user_id: JsonInt = Field(ge=0, le=MAX_JSON_ID)
    k: JsonInt = Field(default=10, ge=1, le=100)
    exclude_seen: bool = Field(
        default=True,
        strict=True,
        description="Leave out every item the user has seen: in training, logged, or sent.",
    )
    history: list[ItemId] | None = Field(
        default=None,
        max_length=MAX_HISTORY,
        description=(
            "Item ids the user liked that the interaction log may not hold yet (e.g. in this session), at "
            "most 1,000. They rank like logged positives and are never recommended back, and a liked item "
            "here outweighs a logged dismissal of it. Nothing is stored. Ids outside the served catalogue "
            "are ignored (the model has nothing to say about them)."
        ),
    )


class RecommendedItem(BaseModel):
    item_id: int
    title: str | None
    score: float


class RecommendOut(BaseModel):
    prediction_id: str
    items: list[RecommendedItem]
    model_version: str
    cold_start: bool = Field(
        description="Nothing the user liked was known (no interactions, or only dismissals, low ratings or "
        "items outside the catalogue), so the most popular items were served."
    )
