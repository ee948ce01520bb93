"""Reactions to recommendations: what a user's answer about one listed item says about the list.

A click, or a rating of `POSITIVE_STARS` or more, is a positive reaction (the list held something the user
wanted); a rating below that, or a dismiss, is a negative one (the list got an answer, but no hit). Live
quality is computed from these rows alone, whatever their source, so every source maps onto
`REACTION_COLUMNS`: today the feedback events; interactions that name the prediction they answer can join
the same frame later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.records import KINDS_BY_MODEL
from closedloop.store.tables import FeedbackEvent, Prediction
from closedloop.store.validation import feedback_item

POSITIVE_STARS = (
    3  # MovieLens: 3 stars and up is "liked" (as in training labels, closedloop.store.derivation)
)
# One row per reaction; `kind` ("click", "rating", "dismiss") lets a metric single out clicks (CTR).
REACTION_COLUMNS = ["prediction_id", "item_id", "positive", "kind"]


@dataclass(frozen=True)
class Reaction:
    item_id: int
    positive: bool


def reaction(*, kind: str, value: Any) -> Reaction | None:
    """The reaction a recommendation feedback event expresses; None for kinds that are not about an item.

    `value` has the shape the store checks on write (`feedback_item`): the item id for click / dismiss,
    {"item_id", "rating": 1..5} for a rating.
    """
    if kind not in KINDS_BY_MODEL["recsys"]:
        return None
    item = feedback_item(kind=kind, value=value)
    if kind == "rating":
        return Reaction(item, positive=int(value["rating"]) >= POSITIVE_STARS)
    return Reaction(item, positive=kind == "click")


def read_reactions(session: Session, *, since: datetime | None = None) -> pd.DataFrame:
    """Every reaction to a recommendation served at or after `since` (all of them, not only each list's
    latest: a list with several ratings is a hit if any of them is positive), as `REACTION_COLUMNS`.

    The one source today is feedback; interactions that carry a prediction_id are concatenated here once
    they are stored.
    """
    return _feedback_reactions(session, since=since)


def _feedback_reactions(session: Session, *, since: datetime | None) -> pd.DataFrame:
    query = (
        select(FeedbackEvent.prediction_id, FeedbackEvent.kind, FeedbackEvent.value)
        .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
        .where(Prediction.model == "recsys")
        .order_by(FeedbackEvent.id)
    )
    if since is not None:
        query = query.where(Prediction.created_at >= since)
    rows = []
    for prediction_id, kind, value in session.execute(query):
        found = reaction(kind=kind, value=value)
        if found is not None:
            rows.append((prediction_id, found.item_id, found.positive, kind))
    frame = pd.DataFrame(rows, columns=REACTION_COLUMNS)
    return frame.astype({"prediction_id": "object", "item_id": "int64", "positive": "bool", "kind": "object"})
