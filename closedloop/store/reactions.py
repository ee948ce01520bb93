"""Reactions to recommendations: what a user's answer about one listed item says about the list.

Whether an answer is positive (the list held something the user wanted) or negative (the list got an answer,
but no hit) is the recommender's own rule, `models.recsys.signals.is_positive`: a click or a view, or a rating
of `POSITIVE_RATING` stars or more, is positive; a lower rating or a dismiss is negative. Live quality is
computed from these rows alone, whatever their source, so both sources map onto `REACTION_COLUMNS`: feedback
events on a recommendation, and logged interactions that name the recommendation they answer
(`prediction_id`). A view is positive here as in training: log as a view what the user opened, not what a
list merely showed, or every list shown becomes a hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.tables import FeedbackEvent, Interaction, Prediction
from models.recsys.signals import POSITIVE_RATING, is_positive

POSITIVE_STARS = POSITIVE_RATING  # the same threshold, under the name the replay's simulated users import
# One row per reaction; `kind` (click, rating, dismiss, view) lets a metric single out clicks (CTR).
REACTION_COLUMNS = ["prediction_id", "item_id", "positive", "kind"]
REACTION_DTYPES = {"prediction_id": "object", "item_id": "int64", "positive": "bool", "kind": "object"}
Row = tuple[str, int, bool, str]  # one row of REACTION_COLUMNS


@dataclass(frozen=True)
class Reaction:
    item_id: int
    positive: bool


def reaction(*, kind: str, value: Any) -> Reaction | None:
    """The reaction a recommendation feedback event expresses; None for kinds that are not about an item.

    `value` has the shape the store checks on write (`feedback_item`): the item id for click / dismiss,
    {"item_id", "rating": 1..5} for a rating.
    """
    # The recommender's feedback rules live in its kind, which imports the store: looked up when called.
    from closedloop.kinds.recsys.config import CONFIG
    from closedloop.kinds.recsys.feedback import feedback_item

    if kind not in CONFIG.feedback_kinds:
        return None
    item = feedback_item(kind=kind, value=value)
    stars = float(value["rating"]) if kind == "rating" else None
    return Reaction(item, positive=is_positive(kind, stars))


def read_reactions(session: Session, *, since: datetime | None = None) -> pd.DataFrame:
    """Every reaction to a recommendation served at or after `since` (all of them, not only each list's
    latest: a list with several ratings is a hit if any of them is positive), as `REACTION_COLUMNS`.

    Feedback events come first, then the interactions that carry the prediction_id of such a list, each in
    the order they were stored; a list answered through either source counts as answered.
    """
    rows = _feedback_reactions(session, since=since) + _interaction_reactions(session, since=since)
    return pd.DataFrame(rows, columns=REACTION_COLUMNS).astype(REACTION_DTYPES)


def _feedback_reactions(session: Session, *, since: datetime | None) -> list[Row]:
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
    return rows


def _interaction_reactions(session: Session, *, since: datetime | None) -> list[Row]:
    # prediction_id is no foreign key (interactions also name predictions this store never logged): the join
    # keeps those that answer a logged recommendation, served in the window.
    query = (
        select(Interaction.prediction_id, Interaction.item_id, Interaction.kind, Interaction.value)
        .join(Prediction, Prediction.id == Interaction.prediction_id)
        .where(Prediction.model == "recsys", Interaction.model == "recsys")
        .order_by(Interaction.id)
    )
    if since is not None:
        query = query.where(Prediction.created_at >= since)
    return [
        (prediction_id, int(item_id), is_positive(kind, value), kind)
        for prediction_id, item_id, kind, value in session.execute(query)
    ]
