"""Prequential scoring ("test, then train"): a chunk of the stream is answered by a policy's current
champion and scored before the policy may learn from it; a logging policy then records what the chunk's
users did, exactly as the API would have: predictions, feedback on them and, for the recommender, every
interaction (each visit's own ratings, and users' reactions to what they were recommended).

Everything is stamped with the stream's own time (a message's date, a rating's timestamp), so the store of a
replay looks like the store of a platform that lived through those months.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from closedloop.replay.loop import Policy, spam_decisions
from closedloop.replay.stream import Visit
from closedloop.serving import new_prediction_id
from closedloop.store import FeedbackIn, InteractionIn, PredictionRecord, user_history
from models.recsys.metrics import ranking_metrics
from models.recsys.signals import fold_history
from models.redaction import redact_pii
from models.spam.corpus import message_text

K = 10


def spam_chunk(policy: Policy, messages: pd.DataFrame) -> dict[str, Any]:
    """Score a chunk of messages (subject, body, label, date): the champion's confusion counts, F1, FPR."""
    texts = [
        redact_pii(message_text(s, b)) for s, b in zip(messages["subject"], messages["body"], strict=True)
    ]
    y = messages["label"].to_numpy().astype(bool)
    proba, flagged = spam_decisions(policy.champion, texts)  # type: ignore[arg-type]
    counts = {
        "n": len(y),
        "tp": int((flagged & y).sum()),
        "fp": int((flagged & ~y).sum()),
        "fn": int((~flagged & y).sum()),
        "tn": int((~flagged & ~y).sum()),
    }
    if policy.logs:
        dates = [pd.Timestamp(d).to_pydatetime() for d in pd.to_datetime(messages["date"], utc=True)]
        _spam_feedback(policy, texts, proba, flagged, y, dates)
    return {**counts, **_rates(counts)}


def _spam_feedback(
    policy: Policy,
    texts: list[str],
    proba: np.ndarray,
    flagged: np.ndarray,
    y: np.ndarray,
    dates: list[datetime],
) -> None:
    assert policy.users is not None
    threshold = float(policy.champion.threshold)  # type: ignore[union-attr]
    records = [
        PredictionRecord(
            id=new_prediction_id(),
            model="spam",
            model_version=str(policy.version),
            input={"text": text},
            output={"spam_probability": float(p), "is_spam": bool(f), "threshold": threshold},
            score=float(p),
            created_at=date,
        )
        for text, p, f, date in zip(texts, proba, flagged, dates, strict=True)
    ]
    policy.log(records)
    events, wrong = [], 0
    for record, label in zip(records, y, strict=True):
        report = policy.users.on_spam(label=int(label))
        if report is None:
            continue
        actor = policy.users.spam_actor()
        events.append(
            FeedbackIn(
                event_id=f"replay-{record.id}",
                prediction_id=record.id,
                kind=report.kind,  # type: ignore[arg-type]
                actor=actor,
                received_at=record.created_at,
            )
        )
        wrong += int(report.wrong)
    policy.record(events, wrong)


def recsys_chunk(policy: Policy, found: list[Visit]) -> dict[str, Any]:
    """Score a chunk of visits: NDCG@10 of each visit's top 10 against what the user rates from then on.

    A frozen policy ranks from what its model was trained on. Any other plays the serving API's path visit
    by visit: it ranks from the user's current history (the interactions logged so far, folded in), then
    logs the visit — its recommendations, the user's reactions to them, and the visit's own ratings — so
    that the user's next visit, even in the same chunk, already counts them."""
    if policy.logs:
        ids = np.full((len(found), K), -1, dtype=np.int64)
        for row, visit in enumerate(found):
            items, scores = _folded_recommendation(policy, visit)
            ids[row, : len(items)] = items
            _recsys_activity(policy, visit, items, scores)
    else:
        users = np.asarray([v.user_id for v in found])
        ids, _ = policy.champion.estimator.recommend(users, K, exclude_seen=True)  # (visits, K)
    hits = np.array([[int(i) in v.future for i in row] for v, row in zip(found, ids, strict=True)])
    n_relevant = np.array([len(v.future) for v in found])
    per_visit = ranking_metrics(hits, n_relevant)[f"ndcg@{K}"]
    return {"n": len(found), "ndcg@10": float(per_visit.mean()), "hit@10": float(hits.any(axis=1).mean())}


def _folded_recommendation(policy: Policy, visit: Visit) -> tuple[list[int], list[float]]:
    assert policy.store is not None
    with policy.store.session() as session:
        folded = fold_history(user_history(session, model="recsys", user_id=visit.user_id))
    items, scores, _ = policy.champion.recommend(  # type: ignore[union-attr]
        visit.user_id, K, history=folded.positives, negatives=folded.negatives
    )
    return items, scores


def _recsys_activity(policy: Policy, visit: Visit, items: list[int], scores: list[float]) -> None:
    """Log one visit: the recommendation, and the visit's ratings — each once; a rating of a recommended
    item that the user reports as a reaction carries the prediction id (and, when wrong, flipped stars)."""
    assert policy.users is not None
    at = datetime.fromtimestamp(visit.timestamp, tz=UTC)
    record = PredictionRecord(
        id=new_prediction_id(),
        model="recsys",
        model_version=str(policy.version),
        input={"user_id": visit.user_id, "k": K, "exclude_seen": True},
        output={"items": items, "scores": scores, "cold_start": False},
        created_at=at,
    )
    reports = {r.value["item_id"]: r for r in policy.users.on_recommendations(items=items, rated=visit.rated)}
    events = []
    for item, stars in visit.rated.items():
        report = reports.get(item)
        events.append(
            InteractionIn(
                event_id=f"replay-{visit.user_id}-{item}-{visit.rated_at[item]}",
                model="recsys",
                user_id=visit.user_id,
                item_id=item,
                kind="rating",
                value=float(report.value["rating"] if report is not None else stars),
                occurred_at=datetime.fromtimestamp(visit.rated_at[item], tz=UTC),
                prediction_id=record.id if report is not None else None,
                actor=f"replay:ml-user-{visit.user_id}",
            )
        )
    policy.log([record])
    policy.interact(events, reports=len(reports), wrong=sum(r.wrong for r in reports.values()))


def summarize(model: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Whole-stream figures: spam pooled over every chunk's decisions; recsys NDCG@10 weighted by visits."""
    if model == "spam":
        counts = {key: sum(row[key] for row in rows) for key in ("n", "tp", "fp", "fn", "tn")}
        return {**counts, **_rates(counts)}
    n = sum(row["n"] for row in rows)
    return {
        "n": n,
        "ndcg@10": round(sum(row["ndcg@10"] * row["n"] for row in rows) / n, 4),
        "hit@10": round(sum(row["hit@10"] * row["n"] for row in rows) / n, 4),
    }


def _rates(c: dict[str, int]) -> dict[str, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = c["fp"] / (c["fp"] + c["tn"]) if c["fp"] + c["tn"] else 0.0
    return {
        "f1": round(f1, 4),
        "fpr": round(fpr, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }
