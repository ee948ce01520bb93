"""The reference window: the champion's training snapshot, rebuilt at the feedback watermark it was trained
on, described the same way as the live traffic and scored by the champion itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from closedloop import registry
from closedloop.datasets.recsys import build_recsys_snapshot
from closedloop.datasets.spam import build_spam_snapshot
from closedloop.monitoring.errors import NoChampion
from closedloop.packaging import load_wrapper
from closedloop.settings import Settings
from closedloop.store import Store
from models.recsys.descriptors import (
    InteractionProfile,
    describe_requests,
    interaction_profile,
    reference_users,
)
from models.spam.descriptors import TextProfile, describe_texts, text_profile


@dataclass(frozen=True)
class Champion:
    model: str
    version: str
    upto_id: int | None  # the consensus-label watermark its training snapshot was read at
    wrapper: Any  # SpamFilterModel | RecommenderModel


@dataclass(frozen=True)
class Reference:
    frame: pd.DataFrame  # descriptor columns (+ `score` for spam), one row per message / request
    description: str
    profile: TextProfile | InteractionProfile  # what novelty in the current window is measured against


def load_champion(client: MlflowClient, *, model: str) -> Champion:
    """The champion version, its training watermark (run tag `lineage.feedback_last_label_id`) and model."""
    name = registry.registered_name(model)
    version = registry.aliased_version(client, name=name, alias=registry.CHAMPION)
    if version is None:
        raise NoChampion(
            f"{name} has no champion, so there is no training data to compare with: "
            f"run `closedloop retrain {model}` (or `closedloop demo`) first"
        )
    tag = (
        client.get_run(version.run_id).data.tags.get("lineage.feedback_last_label_id")
        if version.run_id
        else None
    )
    upto_id = None if tag in (None, "None") else int(tag)
    wrapper = load_wrapper(f"models:/{name}/{version.version}")
    return Champion(model=model, version=str(version.version), upto_id=upto_id, wrapper=wrapper)


def spam_reference(settings: Settings, store: Store, champion: Champion) -> Reference:
    """Descriptors and champion scores of a sample of the snapshot's holdout; vocabulary from its train part.

    The holdout is drawn from the same corpus as the training rows but was never fitted, so the champion's
    scores on it are what unchanged traffic would get (on training rows they would be over-confident).
    """
    snapshot = build_spam_snapshot(settings, store, upto_id=champion.upto_id)
    profile = text_profile(snapshot.train["text"])
    n = min(settings.monitor_reference_size, len(snapshot.holdout))
    texts = snapshot.holdout["text"].sample(n=n, random_state=settings.seed).tolist()
    frame = describe_texts(texts, profile)
    frame["score"] = np.asarray(champion.wrapper.spam_probability(texts), dtype=np.float64)
    description = (
        f"spam-filter v{champion.version} training snapshot (label watermark {champion.upto_id}): "
        f"{n} holdout messages scored by the champion; vocabulary and link hosts of its "
        f"{len(snapshot.train)} training messages"
    )
    return Reference(frame=frame, description=description, profile=profile)


def recsys_reference(
    settings: Settings, store: Store, champion: Champion, *, n_current: int, k: int
) -> Reference:
    """A request stream drawn from the training interactions, answered by the champion.

    The stream has the current window's length, so that requests per user compare; only its first
    `monitor_reference_size` requests are answered and kept.
    """
    snapshot = build_recsys_snapshot(settings, store, upto_id=champion.upto_id)
    profile = interaction_profile(snapshot.train)
    users = reference_users(snapshot.train, max(n_current, 1), settings.seed)
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
    frame = describe_requests(requests, profile)
    frame["user_requests"] = repeats[: len(kept)].astype(np.float64)
    description = (
        f"recommender v{champion.version} training snapshot (label watermark {champion.upto_id}): "
        f"{len(kept)} requests by users drawn from its {len(snapshot.train)} training interactions, "
        f"answered by the champion (k={k})"
    )
    return Reference(frame=frame, description=description, profile=profile)
