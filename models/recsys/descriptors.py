"""Descriptors of recommendation requests: who asks, how popular the answers are, how sure the model is.

One row per served recommendation list. Monitoring compares them between a reference stream (users drawn
from the training interactions, answered by the champion) and the logged requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DESCRIPTORS = ("user_requests", "user_history", "item_popularity", "top_score", "mean_score")


@dataclass(frozen=True)
class InteractionProfile:
    """Training interactions per user and per item (ids absent from the index count 0)."""

    user_history: pd.Series  # user_id -> interactions in training
    item_popularity: pd.Series  # item_id -> interactions in training


def interaction_profile(train: pd.DataFrame) -> InteractionProfile:
    """Counts from training interactions (columns user_id, item_id)."""
    return InteractionProfile(
        user_history=train["user_id"].value_counts(),
        item_popularity=train["item_id"].value_counts(),
    )


def reference_users(train: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    """(n,) user ids drawn from the training interactions: a user asks as often as they interacted.

    Drawn with replacement, so `user_requests` (repeats within the stream) means the same thing in a
    reference stream of the current window's size as in the logged traffic.
    """
    rng = np.random.default_rng(seed)
    return rng.choice(train["user_id"].to_numpy(), size=n, replace=True)


def describe_requests(requests: pd.DataFrame, profile: InteractionProfile) -> pd.DataFrame:
    """requests (user_id, items: list[int], scores: list[float]) -> DataFrame (n, len(DESCRIPTORS)).

    Empty lists (nothing to recommend) give item_popularity 0 and scores NaN.
    """
    users = requests["user_id"].astype("int64")
    popularity = profile.item_popularity
    mean_popularity = [
        float(popularity.reindex(items).fillna(0).mean()) if len(items) else 0.0
        for items in requests["items"]
    ]
    return pd.DataFrame(
        {
            "user_requests": users.map(users.value_counts()).astype("float64").to_numpy(),
            "user_history": users.map(profile.user_history).fillna(0).astype("float64").to_numpy(),
            "item_popularity": mean_popularity,
            "top_score": [float(s[0]) if len(s) else np.nan for s in requests["scores"]],
            "mean_score": [float(np.mean(s)) if len(s) else np.nan for s in requests["scores"]],
        },
        columns=list(DESCRIPTORS),
    )
