"""The recommender training snapshot: MovieLens ratings + positive consensus labels up to a watermark,
with a fixed per-user holdout (RecBole's test part) and a recent slice of the newest labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from closedloop import corpora
from closedloop.datasets.checks import validate_recsys
from closedloop.lineage import snapshot_lineage
from closedloop.settings import Settings
from closedloop.store import Store, read_training_labels
from models.recsys.movielens import MovieLens
from models.recsys.splits import split_ratings

PAIR = ["user_id", "item_id"]
POSITIVE = 1  # relevance >= 1: rated 3+ or clicked; 0 (dismissed, rated 1–2) is not a positive


@dataclass
class RecsysSnapshot:
    train: pd.DataFrame  # user_id, item_id, source
    valid: pd.DataFrame  # user_id, item_id — model selection (early stopping, EASE's λ)
    holdout: pd.DataFrame  # user_id, item_id — fixed for a given corpus and seed
    recent: pd.DataFrame  # user_id, item_id — newest positive labels, withheld from training
    catalogue: pd.DataFrame  # item_id, title, year, genres
    validation: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)


def base_ratings(movielens: MovieLens, settings: Settings) -> pd.DataFrame:
    """The earliest `base_fraction` of ratings by timestamp (all of them by default)."""
    ratings = movielens.ratings.sort_values("timestamp", kind="stable")
    return ratings.iloc[: max(1, round(len(ratings) * settings.base_fraction))]


def build_recsys_snapshot(settings: Settings, store: Store, *, upto_id: int | None = None) -> RecsysSnapshot:
    movielens = corpora.load_movielens(settings)
    manifest = corpora.read_manifest(settings, "movielens") or {}
    split = split_ratings(base_ratings(movielens, settings), seed=settings.seed)

    with store.session() as session:
        labels = read_training_labels(session, model="recsys", upto_id=upto_id)
    positives = labels.frame[labels.frame["label"] >= POSITIVE]
    n_recent = int(len(positives) * settings.recent_fraction)
    n_recent = n_recent if n_recent >= settings.gate_min_recent else 0
    older, recent = positives.iloc[: len(positives) - n_recent], positives.iloc[len(positives) - n_recent :]
    # A user's dismissal or low rating after the fact removes that pair from what they are said to like.
    negatives = labels.frame[labels.frame["label"] < POSITIVE][PAIR]

    train = pd.concat(
        [split.train[PAIR].assign(source="corpus"), older[PAIR].assign(source=older["source"].to_numpy())],
        ignore_index=True,
    )
    train = train[~pd.MultiIndex.from_frame(train[PAIR]).isin(pd.MultiIndex.from_frame(negatives))]
    train, report = validate_recsys(
        train,
        holdout=pd.concat([split.test[PAIR], recent[PAIR]]),
        n_items=int(movielens.items["item_id"].max()),
    )
    recent_rows = recent[PAIR].reset_index(drop=True)
    # Recent-slice users must be known to the model; a brand-new user cannot be ranked for, only served
    # popular items, which the gate would then compare on equal terms anyway.
    recent_rows = recent_rows[recent_rows["user_id"].isin(train["user_id"])]
    holdout = split.test[PAIR].reset_index(drop=True)
    lineage = snapshot_lineage(
        manifest=manifest,
        watermark=labels.watermark,
        n_labels_trained=len(older),
        train=train,
        holdout=holdout,
        recent=recent_rows,
    )
    return RecsysSnapshot(
        train=train,
        valid=split.valid[PAIR].reset_index(drop=True),
        holdout=holdout,
        recent=recent_rows,
        catalogue=movielens.items,
        validation=report.as_dict(),
        lineage=lineage,
    )
