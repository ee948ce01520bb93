"""The recommender's serving: the recommendation route, ranked from the user's current history (what they
did in training, their logged interactions and what the request says they liked, so a new interaction
counts at the very next request, with no retrain), warming a loaded model, and the catalogue interactions
are checked against."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from closedloop.kinds.contract import Route
from closedloop.kinds.recsys.config import NAME
from closedloop.kinds.recsys.schemas import RecommendedItem, RecommendIn, RecommendOut
from closedloop.serving import ServingContext, fast_inference, new_prediction_id
from closedloop.store import PredictionRecord, user_history
from models.recsys.signals import fold_history

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Malformed request: `k` out of 1-100, or a `history` that is not a list of at most "
        "1,000 non-negative integer item ids."
    },
}


def recommend_items(request: RecommendIn, context: ServingContext) -> RecommendOut:
    """Recommend up to `k` items for a user, from their current history.

    The user's logged interactions (`POST /v1/interactions`) count at once, with no retrain: views, clicks
    and ratings of 3+ stars as things they like, lower ratings and dismissals as things they do not (their
    latest interaction with an item decides). `history` adds items they liked that are not logged, without
    storing them. With `exclude_seen` nothing they have seen comes back: training items, logged items in
    either direction, and `history`. A user with nothing liked gets the most popular items, flagged
    `cold_start`.
    """
    # A plain function: the store read and the scoring block, so they run off the event loop.
    served = context.champion()
    with context.store.session() as session:
        folded = fold_history(user_history(session, model=NAME, user_id=request.user_id))
    sent = set(request.history or ())
    # The request is the newest word on its items: liked now, even if the log holds an older dismissal.
    liked, turned_down = folded.positives | sent, folded.negatives - sent
    with fast_inference():
        ids, scores, cold_start = served.wrapper.recommend(
            request.user_id,
            request.k,
            exclude_seen=request.exclude_seen,
            history=liked,
            negatives=turned_down,
        )
    # Counts, not the lists: a heavy user's history would bloat every logged prediction.
    folded_counts = {"liked": len(liked), "turned_down": len(turned_down), "from_request": len(sent)}
    record = PredictionRecord(
        id=new_prediction_id(),
        model=NAME,  # type: ignore[arg-type]  # the store's ModelName is still a Literal
        model_version=served.version,
        input={
            "user_id": request.user_id,
            "k": request.k,
            "exclude_seen": request.exclude_seen,
            "folded_history": folded_counts,
        },
        output={"items": ids, "scores": scores, "cold_start": cold_start},
        score=scores[0] if scores else None,
    )
    context.log(record)
    context.count(served)
    titles = served.wrapper.titles
    items = [
        RecommendedItem(item_id=i, title=titles.get(i), score=s) for i, s in zip(ids, scores, strict=True)
    ]
    return RecommendOut(
        prediction_id=record.id, items=items, model_version=served.version, cold_start=cold_start
    )


class RecsysServing:
    """Serving hooks: the recommendation route, warming, and the served catalogue."""

    def routes(self) -> list[Route]:
        return [
            Route(
                path="/recommendations",
                request=RecommendIn,
                response=RecommendOut,
                handler=recommend_items,
                responses=ERRORS,
            )
        ]

    def warm(self, wrapper: Any) -> None:
        # A known user, so the model's own scoring runs (an unknown one only reads popularity).
        users = getattr(wrapper.estimator, "users_", None)
        user = int(users.ids[0]) if users is not None and len(users.ids) else 0
        with fast_inference():
            wrapper.recommend(user, 1, exclude_seen=True)

    def catalogue(self, wrapper: Any) -> Container[int] | None:
        return wrapper.titles  # type: ignore[no-any-return]
