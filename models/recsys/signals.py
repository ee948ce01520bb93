"""What a user's answer about an item says about their taste: the one rule that training snapshots, fold-in
at serving, the gate's window and the live quality of served lists (reactions to a recommendation, whether
sent as feedback or as an interaction) all apply.

A view or a click is a positive; a rating of `POSITIVE_RATING` stars or more is a positive, a lower rating a
negative; a dismissal is a negative. A user's latest interaction with an item decides (someone who clicked a
movie and then dismissed it no longer counts it among what they like). Every item a user interacted with, in
either direction, is "seen": it is never recommended to them again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

POSITIVE_RATING = 3  # MovieLens stars: 3+ is a movie the user liked (1-2: one they did not)
KINDS = ("view", "rating", "click", "dismiss")
POSITIVE_KINDS = frozenset({"view", "click"})  # a rating is judged by its stars; any other kind is negative


def is_positive(kind: str, value: float | None) -> bool:
    """Whether one answer about an item is a positive signal: `value` is the stars of a rating (None for
    every other kind). See the module docstring."""
    if kind == "rating":
        return value is not None and value >= POSITIVE_RATING
    return kind in POSITIVE_KINDS


@dataclass
class FoldedHistory:
    """One user's interactions, folded: items they like, items they turned down, everything they saw."""

    positives: set[int] = field(default_factory=set)
    negatives: set[int] = field(default_factory=set)

    @property
    def seen(self) -> set[int]:
        return self.positives | self.negatives


def fold_history(events: Iterable[tuple[int, str, float | None]]) -> FoldedHistory:
    """(item_id, kind, value) events, oldest first -> the user's folded history (the latest event per item
    decides)."""
    folded = FoldedHistory()
    for item, kind, value in events:
        if is_positive(kind, value):
            folded.negatives.discard(item)
            folded.positives.add(item)
        else:
            folded.positives.discard(item)
            folded.negatives.add(item)
    return folded


def positive_pairs(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(positives, negatives): the (user_id, item_id) pairs whose latest event, in frame order, is positive /
    negative. `events` has columns user_id, item_id, kind, value, oldest first."""
    if events.empty:
        empty = pd.DataFrame({"user_id": pd.Series(dtype="int64"), "item_id": pd.Series(dtype="int64")})
        return empty, empty.copy()
    positive = np.fromiter(
        (is_positive(k, v) for k, v in zip(events["kind"], _values(events["value"]), strict=True)),
        dtype=bool,
        count=len(events),
    )
    latest = events.assign(positive=positive).drop_duplicates(["user_id", "item_id"], keep="last")
    pairs = latest[["user_id", "item_id"]].astype("int64")
    return (
        pairs[latest["positive"].to_numpy()].reset_index(drop=True),
        pairs[~latest["positive"].to_numpy()].reset_index(drop=True),
    )


def _values(column: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in column]
