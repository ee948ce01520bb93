"""Reactions to recommendations: what a user's answer about one listed item says about the list.

Whether an answer is positive (the list held something the user wanted) or negative (the list got an answer,
but no hit) is the recommender's own rule, `models.recsys.signals.is_positive`: a click or a view, or a rating
of `POSITIVE_RATING` stars or more, is positive; a lower rating or a dismiss is negative. Live quality (the
monitoring flow's and the dashboard's) is computed from these rows alone, whatever their source, so both
sources the store reads as answers (`closedloop.store.read_answers`) map onto `REACTION_COLUMNS`: feedback
events on a recommendation, and logged interactions that name the recommendation they answer
(`prediction_id`). A view is positive here as in training: log as a view what the user opened, not what a
list merely showed, or every list shown becomes a hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from closedloop.kinds.recsys.config import CONFIG
from closedloop.kinds.recsys.feedback import feedback_item
from closedloop.store import read_answers
from models.recsys.signals import POSITIVE_RATING, is_positive

POSITIVE_STARS = POSITIVE_RATING  # the same threshold, under the name the replay's simulated users import
# One row per reaction; `kind` (click, rating, dismiss, view) lets a metric single out clicks (CTR).
REACTION_COLUMNS = ["prediction_id", "item_id", "positive", "kind"]
REACTION_DTYPES = {"prediction_id": "object", "item_id": "int64", "positive": "bool", "kind": "object"}


@dataclass(frozen=True)
class Reaction:
    item_id: int
    positive: bool


def reaction(*, kind: str, value: Any) -> Reaction | None:
    """The reaction a recommendation feedback event expresses; None for kinds that are not about an item.

    `value` has the shape the store checks on write (`feedback_item`): the item id for click / dismiss,
    {"item_id", "rating": 1..5} for a rating.
    """
    if kind not in CONFIG.feedback_kinds:
        return None
    item = feedback_item(kind=kind, value=value)
    stars = float(value["rating"]) if kind == "rating" else None
    return Reaction(item, positive=is_positive(kind, stars))


def reactions(answers: pd.DataFrame) -> pd.DataFrame:
    """The reactions (`REACTION_COLUMNS`) among the store's answers to recommendations (`ANSWER_COLUMNS`),
    in their order: a feedback event by `reaction`, an interaction by its kind and stars."""
    rows = []
    for answer in answers.itertuples(index=False):
        if answer.source == "feedback":
            found = reaction(kind=answer.kind, value=answer.value)
            if found is not None:
                rows.append((answer.prediction_id, found.item_id, found.positive, answer.kind))
        else:
            stars = None if answer.value is None or pd.isna(answer.value) else float(answer.value)
            rows.append(
                (answer.prediction_id, int(answer.item_id), is_positive(answer.kind, stars), answer.kind)
            )
    return pd.DataFrame(rows, columns=REACTION_COLUMNS).astype(REACTION_DTYPES)


def read_reactions(session: Session, *, since: datetime | None = None) -> pd.DataFrame:
    """Every reaction to a recommendation served at or after `since` (all of them, not only each list's
    latest: a list with several ratings is a hit if any of them is positive), as `REACTION_COLUMNS`.

    Feedback events come first, then the interactions that carry the prediction_id of such a list, each in
    the order they were stored; a list answered through either source counts as answered.
    """
    return reactions(read_answers(session, model=CONFIG.name, since=since))
