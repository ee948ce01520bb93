"""The recommender's monitoring: request descriptors (who asks, how much history, how popular and how
confident the answers) of a reference stream drawn from the champion's training interactions against the
logged recommendation requests, and live quality from every reaction to the served lists.

The reference is a request stream drawn from the training snapshot the champion was fitted on (rebuilt at
its feedback watermark), as long as the current window so that requests per user compare, and answered by
the champion with the window's usual list length; only its first `monitor_reference_size` requests are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from closedloop.kinds.contract import Monitored
from closedloop.kinds.recsys.config import CONFIG
from closedloop.kinds.recsys.reactions import read_reactions
from closedloop.kinds.recsys.snapshot import build_recsys_snapshot
from closedloop.monitoring.figures import finite
from closedloop.store import Store
from models.recsys.descriptors import (
    InteractionProfile,
    describe_requests,
    interaction_profile,
    reference_users,
)
from models.recsys.reactions import list_outcomes
from models.recsys.reactions import quality as reaction_quality


class RecsysMonitoring:
    """Monitoring hook: reference and current request frames, and live quality from reactions."""

    def monitor(self, settings: Any, store: Store, champion: Any, predictions: pd.DataFrame) -> Monitored:
        snapshot = build_recsys_snapshot(settings, store, upto_id=champion.upto_id)
        profile = interaction_profile(snapshot.train)
        k = typical_k(predictions)
        users = reference_users(snapshot.train, max(len(predictions), 1), settings.seed)
        repeats = pd.Series(users).map(pd.Series(users).value_counts()).to_numpy()
        kept = users[: settings.monitor_reference_size]
        ids, scores = champion.wrapper.estimator.recommend(kept, k)  # (n, k) each; -1 pads a short list
        requests = pd.DataFrame(
            {
                "user_id": kept,
                "items": [row[row >= 0].tolist() for row in ids],
                "scores": [s[i >= 0].tolist() for i, s in zip(ids, scores, strict=True)],
            }
        )
        reference = describe_requests(requests, profile)
        reference["user_requests"] = repeats[: len(kept)].astype(np.float64)
        description = (
            f"{CONFIG.registered_name} v{champion.version} training snapshot (label watermark "
            f"{champion.upto_id}): {len(kept)} requests by users drawn from its {len(snapshot.train)} "
            f"training interactions, answered by the champion (k={k})"
        )
        return Monitored(
            reference=reference,
            current=recsys_frame(predictions, profile),
            description=description,
            quality=recsys_quality(predictions, recsys_reactions(predictions, store)),
        )


def recsys_requests(predictions: pd.DataFrame) -> pd.DataFrame:
    """user_id, items, scores of each logged recommendation list."""
    return pd.DataFrame(
        {
            "user_id": [int(i["user_id"]) for i in predictions["input"]],
            "items": [list(o.get("items", [])) for o in predictions["output"]],
            "scores": [list(o.get("scores", [])) for o in predictions["output"]],
        }
    )


def recsys_frame(predictions: pd.DataFrame, profile: InteractionProfile) -> pd.DataFrame:
    """Request descriptors of the logged lists, novelty measured against the training `profile`."""
    return describe_requests(recsys_requests(predictions), profile)


def typical_k(predictions: pd.DataFrame) -> int:
    """The most common list length asked for (the reference is answered with the same k)."""
    ks = pd.Series([int(i.get("k", 10)) for i in predictions["input"]])
    return int(ks.mode().iloc[0])


def recsys_reactions(predictions: pd.DataFrame, store: Store) -> pd.DataFrame:
    """Every reaction (`REACTION_COLUMNS`) to the recommendation lists in `predictions`, from feedback and
    from the interactions that carry one of their prediction ids."""
    first = predictions["created_at"].min()  # the window's oldest list: no reaction before it matters
    with store.session() as session:
        reactions = read_reactions(session, since=None if pd.isna(first) else first.to_pydatetime())
    return reactions[reactions["prediction_id"].isin(predictions["prediction_id"])]


def recsys_quality(predictions: pd.DataFrame, reactions: pd.DataFrame) -> dict[str, float | int]:
    """hit_rate, mrr, ndcg of the first positive reaction over lists that got any reaction, ctr (share of
    lists with a click), and the counts: n_lists served, n_answered (any reaction), n_hits (a positive
    reaction on a listed item), n_clicked. See `models.recsys.reactions`; an undefined figure is left out."""
    lists = pd.Series(
        [list(o.get("items", [])) for o in predictions["output"]], index=predictions["prediction_id"]
    )
    counts = list_outcomes(lists, reactions).sum().to_dict()
    figures = {name: finite(v) for name, v in reaction_quality(counts).items() if v is not None}
    quality: dict[str, float | int | None] = {
        **figures,
        "n_lists": len(lists),
        "n_answered": int(counts["answered"]),
        "n_hits": int(counts["hits"]),
        "n_clicked": int(counts["clicked"]),
    }
    return {name: value for name, value in quality.items() if value is not None}
