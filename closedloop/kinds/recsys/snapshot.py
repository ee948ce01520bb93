"""The recommender training snapshot: the base period of MovieLens, the interaction log and consensus labels
up to their watermarks, with the gate's two evaluation sets and the newest row it read.

- **train**: every positive (user, item) pair the challenger learns from — base ratings (RecBole's per-user
  train part), interactions whose latest signal is positive (`models.recsys.signals`), positive consensus
  labels; a pair whose latest signal is negative (a dismissal, a low rating) is removed.
- **holdout**: the base ratings' per-user test part: older than every decision, the guardrail.
- **window**: the newest `gate_window_fraction` of the interactions logged since the champion's watermark.
  Neither model trains on them; each window user is ranked from what they did before the window (fold-in,
  the same history for both models) and scored on the items they liked in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from closedloop import corpora
from closedloop.kinds.recsys.checks import validate_recsys
from closedloop.retraining.lineage import snapshot_lineage
from closedloop.retraining.windows import newest_event, window_size
from closedloop.settings import Settings
from closedloop.store import Store, read_interactions, read_training_labels
from models.recsys.movielens import MovieLens
from models.recsys.signals import positive_pairs
from models.recsys.splits import split_ratings

PAIR = ["user_id", "item_id"]
POSITIVE = 1  # consensus relevance >= 1: rated 3+ or clicked; 0 (dismissed, rated 1–2) is not a positive


@dataclass
class RecsysSnapshot:
    train: pd.DataFrame  # user_id, item_id, source — the challenger's positives
    valid: pd.DataFrame  # user_id, item_id — model selection (early stopping, EASE's λ)
    holdout: pd.DataFrame  # user_id, item_id — the base period's test part, fixed for a corpus and seed
    window: pd.DataFrame  # user_id, item_id — what window users liked in the window, new to both models
    seen: pd.DataFrame  # user_id, item_id — pairs a user already had before the window (never relevant)
    catalogue: pd.DataFrame  # item_id, title, year, genres
    validation: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    refit_train: pd.DataFrame | None = None  # train with the window's interactions and labels included

    def refit(self) -> RecsysSnapshot:
        """The same snapshot with the window trained on: what a promoted challenger is refit on."""
        if self.refit_train is None:
            raise ValueError("this snapshot has no refit data")
        lineage = {**self.lineage, "n_train": len(self.refit_train)}
        lineage["window"] = {**lineage["window"], "trained_on": True}
        lineage["trained_upto"] = {
            "labels": lineage["feedback_watermark"]["last_label_id"],
            "interactions": lineage["interactions_watermark"]["last_id"],
        }
        empty = self.window.iloc[0:0]
        return replace(self, train=self.refit_train, window=empty, refit_train=None, lineage=lineage)


def base_ratings(movielens: MovieLens, settings: Settings) -> pd.DataFrame:
    """The earliest `base_fraction` of ratings by timestamp (all of them by default)."""
    ratings = movielens.ratings.sort_values("timestamp", kind="stable")
    return ratings.iloc[: max(1, round(len(ratings) * settings.base_fraction))]


def build_recsys_snapshot(
    settings: Settings,
    store: Store,
    *,
    upto_id: int | None = None,
    interactions_upto_id: int | None = None,
    champion_interactions_upto_id: int | None = None,
) -> RecsysSnapshot:
    """Snapshot fresh training data. `upto_id` / `interactions_upto_id` pin the label and interaction
    watermarks (default: everything so far); `champion_interactions_upto_id` is the champion's own
    interaction watermark — interactions after it are new to both models and the newest share of them
    becomes the window (None: every interaction is new)."""
    from closedloop.kinds.recsys.corpus import MOVIELENS, load_movielens  # here: the kind imports this module

    movielens = load_movielens(settings)
    manifest = corpora.read_manifest(settings, MOVIELENS) or {}
    base = base_ratings(movielens, settings)
    split = split_ratings(base, seed=settings.seed)
    from closedloop.kinds import kind  # kinds import this module: looked up when called

    with store.session() as session:
        labels = read_training_labels(session, kind=kind("recsys"), upto_id=upto_id)
        logged = read_interactions(session, model="recsys", upto_id=interactions_upto_id)
    events = logged.frame
    after = champion_interactions_upto_id if champion_interactions_upto_id is not None else -1
    n_window = window_size(int((events["interaction_id"] > after).sum()), settings)
    before, inside = events.iloc[: len(events) - n_window], events.iloc[len(events) - n_window :]
    cut_time = inside["occurred_at"].min() if n_window else None
    label_frame = labels.frame
    early_labels = label_frame if cut_time is None else label_frame[label_frame["created_at"] < cut_time]

    n_items = int(movielens.items["item_id"].max())
    holdout = split.test[PAIR].reset_index(drop=True)
    train, report = _positives(split.train, before, early_labels, holdout, n_items)
    refit_train, _ = _positives(split.train, events, label_frame, holdout, n_items)
    window, seen = _window(inside, before, train, split, holdout)
    reads = newest_event(
        corpus=pd.to_datetime(base["timestamp"], unit="s", utc=True),
        interactions=events["occurred_at"],
        labels=label_frame["created_at"],
    )
    lineage = snapshot_lineage(
        manifest=manifest,
        watermark=labels.watermark,
        n_labels_trained=len(early_labels),
        train=train,
        holdout=holdout,
        recent=window,
    )
    lineage["reads"] = reads
    lineage["interactions_watermark"] = logged.watermark
    lineage["window"] = {
        "champion_upto_id": champion_interactions_upto_id,
        "events": n_window,
        "n": int(window["user_id"].nunique()),
        "first_interaction_id": int(inside["interaction_id"].iloc[0]) if n_window else None,
        "last_interaction_id": int(inside["interaction_id"].iloc[-1]) if n_window else None,
        "trained_on": False,
    }
    lineage["trained_upto"] = {
        "labels": int(early_labels["label_id"].max()) if len(early_labels) else None,
        "interactions": int(before["interaction_id"].iloc[-1]) if len(before) else None,
    }
    return RecsysSnapshot(
        train=train,
        valid=split.valid[PAIR].reset_index(drop=True),
        holdout=holdout,
        window=window,
        seen=seen,
        catalogue=movielens.items,
        validation=report.as_dict(),
        lineage=lineage,
        refit_train=refit_train,
    )


def _positives(
    base_train: pd.DataFrame,
    events: pd.DataFrame,
    labels: pd.DataFrame,
    holdout: pd.DataFrame,
    n_items: int,
) -> tuple[pd.DataFrame, Any]:
    """Base pairs + positive interactions + positive labels, minus pairs whose latest word is negative;
    labels (annotators, adjudicators, consensus of user feedback) have the last word over interactions."""
    liked, disliked = positive_pairs(events[["user_id", "item_id", "kind", "value"]])
    labelled_yes = labels[labels["label"] >= POSITIVE][PAIR]
    labelled_no = labels[labels["label"] < POSITIVE][PAIR]
    negatives = pd.concat([_minus(disliked, labelled_yes), labelled_no], ignore_index=True)
    train = pd.concat(
        [
            base_train[PAIR].assign(source="corpus"),
            _minus(liked, labelled_no).assign(source="interaction"),
            labelled_yes.assign(source=labels.loc[labelled_yes.index, "source"].to_numpy()),
        ],
        ignore_index=True,
    )
    train = _minus(train, negatives)
    return validate_recsys(train, holdout=holdout, n_items=n_items)


def _window(
    inside: pd.DataFrame, before: pd.DataFrame, train: pd.DataFrame, split: Any, holdout: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(window, seen): each window user's newly liked items, and everything they had before the window."""
    liked, _ = positive_pairs(inside[["user_id", "item_id", "kind", "value"]])
    earlier = pd.concat(
        [before[PAIR], train[PAIR], split.valid[PAIR], holdout[PAIR]], ignore_index=True
    ).astype("int64")
    seen = earlier[earlier["user_id"].isin(liked["user_id"])].drop_duplicates().reset_index(drop=True)
    return _minus(liked, seen).reset_index(drop=True), seen


def _minus(frame: pd.DataFrame, remove: pd.DataFrame) -> pd.DataFrame:
    """Rows of `frame` whose (user_id, item_id) is not in `remove`."""
    if remove.empty or frame.empty:
        return frame
    mask = pd.MultiIndex.from_frame(frame[PAIR]).isin(pd.MultiIndex.from_frame(remove[PAIR]))
    return frame[~mask]
