"""The recommender's replay: the MovieLens ratings after the first champion's base period as visits, one
recommendation request each; every visit's own ratings go through the interaction log, and a rating of a
recommended item that the user reports as a reaction carries the prediction id (flipped stars when wrong);
a chunk is scored by NDCG@10 against what each user rates from then on.

`closedloop.kinds.contract.ModelKind.replay` hands a `RecsysReplay` to the replay driver (`replay`), which
drives it through the shape `replay.contract.KindReplay`; this module never imports the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np

from closedloop.kinds.recsys.config import NAME
from closedloop.kinds.recsys.feedback import pair_key
from closedloop.kinds.recsys.replay_report import RecsysReplayReport
from closedloop.kinds.recsys.visits import Visit, later_ratings, visits
from closedloop.kinds.simulation import Api, ReplayPolicy, Step, Users
from closedloop.serving import new_prediction_id
from closedloop.settings import Settings
from closedloop.store import InteractionIn, PredictionRecord, user_history
from models.recsys.metrics import ranking_metrics
from models.recsys.signals import POSITIVE_RATING as POSITIVE_STARS
from models.recsys.signals import fold_history

K = 10
# Relevance grade (1-4) an annotator gives a movie the user rated with n stars; 3+ stars count as relevant
# in training (closedloop.store.derivation), grades 3-4 in the labeling task.
GRADE_BY_STARS = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4}
Reactions = dict[int, tuple[int, bool]]  # recommended item -> (stars the user reports, wrong?)


def reactions(users: Users, *, items: list[int], rated: dict[int, int]) -> Reactions:
    """Ratings of recommended `items` that the user rates in this very visit (`rated`: item -> stars),
    reported as a reaction to the recommendation. Only the visit's own ratings: a movie the corpus has the
    user rate months later cannot be rated now without being rated twice."""
    found: Reactions = {}
    for item in items:
        stars = rated.get(item)
        if stars is None or not users.responds():
            continue
        wrong = users.errs()
        if wrong:  # the opposite: a liked movie (3-5 stars) rated 1, a disliked one (1-2) rated 5
            stars = 1 if stars >= POSITIVE_STARS else 5
        found[int(item)] = (int(stars), wrong)
    return found


def _event_id(visit: Visit, item: int) -> str:
    return f"replay-{visit.user_id}-{item}-{visit.rated_at[item]}"


def _actor(visit: Visit) -> str:
    return f"replay:ml-user-{visit.user_id}"


@dataclass
class RecsysReplay(RecsysReplayReport):
    """The recommender's replay over the corpus of `settings` (its `base_fraction` sets where it starts)."""

    settings: Settings
    metric: str = "ndcg@10"
    metrics: tuple[str, ...] = ("ndcg@10", "hit@10")
    candidate: str = "knn"  # the classical candidate: a retrain per chunk in seconds
    # fold-in only: the first champion ranking from each user's logged interactions, never retrained
    policies: tuple[str, ...] = ("frozen", "foldin", "loop", "loop_noisy")

    @cached_property
    def ratings(self) -> Any:
        return later_ratings(self.settings)

    @cached_property
    def visits(self) -> list[Visit]:
        return visits(self.ratings)

    def stream(self) -> list[Visit]:
        """One visit per recommendation request."""
        return self.visits

    def chunks(self, n: int) -> list[list[Visit]]:
        return [[self.visits[i] for i in rows] for rows in np.array_split(np.arange(len(self.visits)), n)]

    def began(self) -> datetime:
        """Just before the first streamed rating: when the first champion trains."""
        return datetime.fromtimestamp(int(self.ratings["timestamp"].min()) - 1, tz=UTC)

    def chunk_end(self, chunk: list[Visit]) -> datetime:
        return datetime.fromtimestamp(max(max(visit.rated_at.values()) for visit in chunk), tz=UTC)

    def truth(self) -> dict[str, int]:
        """(user, movie) key -> the relevance grade the user's own rating stands for."""
        ratings = self.ratings
        return {
            pair_key(int(u), int(i)): GRADE_BY_STARS[int(r)]
            for u, i, r in zip(ratings["user_id"], ratings["item_id"], ratings["rating"], strict=True)
        }

    def setup(self) -> dict[str, Any]:
        return {}

    def step(self, item: Visit, api: Api, users: Users) -> Step:
        """Ask the API for the visit's recommendations, then log the visit's ratings through
        `/v1/interactions:batch`, each once; the reactions to recommended items name the prediction."""
        visit = item
        answer = api.post("/v1/recommendations", {"user_id": visit.user_id, "k": K})
        if answer is None:
            return Step(version=None)
        version = str(answer["model_version"])
        items = [int(entry["item_id"]) for entry in answer["items"]]
        correct = any(i in visit.future for i in items)
        reacted = reactions(users, items=items, rated=visit.rated)
        events = []
        for movie, stars in visit.rated.items():
            reaction = reacted.get(movie)
            event: dict[str, Any] = {
                "event_id": _event_id(visit, movie),
                "user_id": visit.user_id,
                "item_id": movie,
                "kind": "rating",
                "value": float(reaction[0] if reaction is not None else stars),
                "actor": _actor(visit),
            }
            if reaction is not None:
                event["prediction_id"] = answer["prediction_id"]
            events.append(event)
        if not events:
            return Step(version, correct)
        if api.post("/v1/interactions:batch", {"events": events}) is None:
            return Step(version, correct, rejected_feedback=len(reacted))
        wrong = sum(lied for _, lied in reacted.values())
        return Step(version, correct, len(reacted), wrong, interactions=len(events))

    def score(self, chunk: list[Visit], policy: ReplayPolicy) -> dict[str, Any]:
        """NDCG@10 of each visit's top 10 against what the user rates from then on.

        A frozen policy ranks from what its model was trained on. Any other plays the serving API's path
        visit by visit: it ranks from the user's current history (the interactions logged so far, folded
        in), then logs the visit — its recommendations, the user's reactions to them, and the visit's own
        ratings — so that the user's next visit, even in the same chunk, already counts them."""
        if policy.logs:
            ids = np.full((len(chunk), K), -1, dtype=np.int64)
            for row, visit in enumerate(chunk):
                items, scores = _folded_recommendation(policy, visit)
                ids[row, : len(items)] = items
                _log_visit(policy, visit, items, scores)
        else:
            users = np.asarray([v.user_id for v in chunk])
            ids, _ = policy.champion.estimator.recommend(users, K, exclude_seen=True)  # (visits, K)
        hits = np.array([[int(i) in v.future for i in row] for v, row in zip(chunk, ids, strict=True)])
        n_relevant = np.array([len(v.future) for v in chunk])
        per_visit = ranking_metrics(hits, n_relevant)[f"ndcg@{K}"]
        return {"n": len(chunk), "ndcg@10": float(per_visit.mean()), "hit@10": float(hits.any(axis=1).mean())}

    def summarize(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Whole-stream figures: NDCG@10 and Hit@10 weighted by each chunk's visits."""
        n = sum(row["n"] for row in rows)
        return {
            "n": n,
            "ndcg@10": round(sum(row["ndcg@10"] * row["n"] for row in rows) / n, 4),
            "hit@10": round(sum(row["hit@10"] * row["n"] for row in rows) / n, 4),
        }

    def targets(self, overall: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Each policy's NDCG@10 over the frozen champion's, and what retraining adds to fold-in alone."""
        frozen = overall["frozen"]["ndcg@10"]
        ratio = {name: round(o["ndcg@10"] / frozen, 3) if frozen else None for name, o in overall.items()}
        return {
            "ratio_to_frozen": ratio,
            "loop_over_foldin": round(overall["loop"]["ndcg@10"] / overall["foldin"]["ndcg@10"], 3),
        }


def _folded_recommendation(policy: ReplayPolicy, visit: Visit) -> tuple[list[int], list[float]]:
    assert policy.store is not None, "a logging policy has a store"
    with policy.store.session() as session:
        folded = fold_history(user_history(session, model=NAME, user_id=visit.user_id))
    items, scores, _ = policy.champion.recommend(
        visit.user_id, K, history=folded.positives, negatives=folded.negatives
    )
    return items, scores


def _log_visit(policy: ReplayPolicy, visit: Visit, items: list[int], scores: list[float]) -> None:
    """Log one visit: the recommendation, and the visit's ratings — each once; a rating of a recommended
    item that the user reports as a reaction carries the prediction id (and, when wrong, flipped stars)."""
    assert policy.users is not None, "a logging policy has users"
    record = PredictionRecord(
        id=new_prediction_id(),
        model=NAME,
        model_version=str(policy.version),
        input={"user_id": visit.user_id, "k": K, "exclude_seen": True},
        output={"items": items, "scores": scores, "cold_start": False},
        created_at=datetime.fromtimestamp(visit.timestamp, tz=UTC),
    )
    reacted = reactions(policy.users, items=items, rated=visit.rated)
    events = [
        InteractionIn(
            event_id=_event_id(visit, movie),
            model=NAME,
            user_id=visit.user_id,
            item_id=movie,
            kind="rating",
            value=float(reacted[movie][0] if movie in reacted else stars),
            occurred_at=datetime.fromtimestamp(visit.rated_at[movie], tz=UTC),
            prediction_id=record.id if movie in reacted else None,
            actor=_actor(visit),
        )
        for movie, stars in visit.rated.items()
    ]
    policy.log([record])
    policy.interact(events, reports=len(reacted), wrong=sum(lied for _, lied in reacted.values()))


class RecsysReplaying:
    """The replay hook of the recommender."""

    def replay(self, settings: Settings) -> RecsysReplay:
        return RecsysReplay(settings)
