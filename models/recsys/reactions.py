"""Live quality of served recommendation lists, from the users' reactions to the items on them.

A reaction is one row (prediction_id, item_id, positive, kind): a positive one (a click, 3+ stars) or a
negative one (1-2 stars, a dismiss) about one item of one served list. Per list:

    answered  the list got any reaction
    hit       a positive reaction on a listed item
    rank      1-based position of the best-placed listed item with a positive reaction (0: no hit)

and over many lists, each figure over the lists that got an answer (those without one say nothing):

    hit_rate  hits / answered lists
    mrr       mean of 1/rank (0 for an answered list without a hit)
    ndcg      mean of 1/log2(rank + 1), the NDCG of a list whose one relevant item is that first hit
    ctr       lists with a click / every list served (clicks only: the share a click-through rate means)

The monitoring flow sums these over its window, the dashboard per time bucket; both call `quality`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

# What `list_outcomes` gives per list and what `quality` reads back, summed over any set of lists.
COUNTS = ("lists", "answered", "hits", "clicked", "reciprocal_ranks", "gains")


def list_outcomes(lists: pd.Series, reactions: pd.DataFrame) -> pd.DataFrame:
    """lists: prediction_id -> ranked item ids; reactions: rows (prediction_id, item_id, positive, kind),
    those about other lists ignored -> one row per list (index of `lists`) with the columns of `COUNTS`.

    `reciprocal_ranks` and `gains` are 1/rank and 1/log2(rank + 1) of the list's first hit (0 without one).
    """
    mine = reactions[reactions["prediction_id"].isin(lists.index)]
    answered = lists.index.isin(mine["prediction_id"])
    clicked = lists.index.isin(mine.loc[mine["kind"] == "click", "prediction_id"])
    ranked = lists.explode().dropna().rename("item_id").reset_index()  # (prediction_id, item_id) per slot
    ranked.columns = ["prediction_id", "item_id"]
    ranked["rank"] = ranked.groupby("prediction_id").cumcount() + 1
    ranked["item_id"] = ranked["item_id"].astype("int64")
    liked = mine.loc[mine["positive"], ["prediction_id", "item_id"]].drop_duplicates()
    hits = ranked.merge(liked.astype({"item_id": "int64"}), on=["prediction_id", "item_id"])
    first = hits.groupby("prediction_id")["rank"].min().reindex(lists.index)  # NaN: no hit
    rank = first.to_numpy(dtype=np.float64)  # (lists,)
    hit = ~np.isnan(rank)
    reciprocal = np.zeros_like(rank)
    reciprocal[hit] = 1.0 / rank[hit]
    gain = np.zeros_like(rank)
    gain[hit] = 1.0 / np.log2(rank[hit] + 1.0)
    return pd.DataFrame(
        {
            "lists": 1,
            "answered": answered.astype(np.int64),
            "hits": hit.astype(np.int64),
            "clicked": clicked.astype(np.int64),
            "reciprocal_ranks": reciprocal,
            "gains": gain,
        },
        index=lists.index,
        columns=list(COUNTS),
    )


def quality(counts: Mapping[str, float]) -> dict[str, float | None]:
    """hit_rate, mrr, ndcg over answered lists and ctr over all lists, from `COUNTS` summed over lists;
    None where the denominator is 0 (nothing answered, nothing served)."""
    answered, lists = counts["answered"], counts["lists"]
    return {
        "hit_rate": _ratio(counts["hits"], answered),
        "mrr": _ratio(counts["reciprocal_ranks"], answered),
        "ndcg": _ratio(counts["gains"], answered),
        "ctr": _ratio(counts["clicked"], lists),
    }


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None
