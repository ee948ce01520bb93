"""Prequential scoring ("test, then train"): a chunk of the stream is answered by a policy's current
champion and scored before the policy may learn from it; a learning policy then logs those predictions
and its simulated users' feedback on them, exactly as the API would have."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from closedloop.replay.loop import Policy, spam_decisions
from closedloop.replay.stream import Visit
from closedloop.serving import new_prediction_id
from closedloop.store import FeedbackIn, PredictionRecord
from models.recsys.metrics import ranking_metrics
from models.redaction import redact_pii
from models.spam.corpus import message_text

K = 10


def spam_chunk(policy: Policy, messages: pd.DataFrame) -> dict[str, Any]:
    """Score a chunk of messages (subject, body, label): confusion counts, F1 and FPR of the champion."""
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
    if policy.learns:
        _spam_feedback(policy, texts, proba, flagged, y)
    return {**counts, **_rates(counts)}


def _spam_feedback(
    policy: Policy, texts: list[str], proba: np.ndarray, flagged: np.ndarray, y: np.ndarray
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
        )
        for text, p, f in zip(texts, proba, flagged, strict=True)
    ]
    policy.log(records)
    events, wrong = [], 0
    for record, label in zip(records, y, strict=True):
        report = policy.users.on_spam(label=int(label))
        if report is None:
            continue
        actor = policy.users.spam_actor()
        events.append(
            FeedbackIn(event_id=f"replay-{record.id}", prediction_id=record.id, kind=report.kind, actor=actor)  # type: ignore[arg-type]
        )
        wrong += int(report.wrong)
    policy.record(events, wrong)


def recsys_chunk(policy: Policy, found: list[Visit]) -> dict[str, Any]:
    """Score a chunk of visits: NDCG@10 of each visit's top 10 against what the user rates from then on."""
    users = np.asarray([v.user_id for v in found])
    ids, scores = policy.champion.estimator.recommend(users, K, exclude_seen=True)  # (visits, K) each
    hits = np.array([[int(i) in v.future for i in row] for v, row in zip(found, ids, strict=True)])
    n_relevant = np.array([len(v.future) for v in found])
    per_visit = ranking_metrics(hits, n_relevant)[f"ndcg@{K}"]
    if policy.learns:
        _recsys_feedback(policy, found, ids, scores)
    return {"n": len(found), "ndcg@10": float(per_visit.mean()), "hit@10": float(hits.any(axis=1).mean())}


def _recsys_feedback(policy: Policy, found: list[Visit], ids: np.ndarray, scores: np.ndarray) -> None:
    assert policy.users is not None
    known = policy.champion.estimator.users_.contains(np.asarray([v.user_id for v in found]))
    records, events, wrong = [], [], 0
    for visit, row, row_scores, warm in zip(found, ids, scores, known, strict=True):
        keep = row >= 0
        items = [int(i) for i in row[keep]]
        record = PredictionRecord(
            id=new_prediction_id(),
            model="recsys",
            model_version=str(policy.version),
            input={"user_id": visit.user_id, "k": K, "exclude_seen": True},
            output={"items": items, "scores": [float(s) for s in row_scores[keep]], "cold_start": not warm},
        )
        records.append(record)
        for report in policy.users.on_recommendations(items=items, future=visit.future):
            item = report.value["item_id"]
            events.append(
                FeedbackIn(
                    event_id=f"replay-{record.id}-{item}",
                    prediction_id=record.id,
                    kind="rating",
                    value=report.value,
                    actor=f"replay:ml-user-{visit.user_id}",
                )
            )
            wrong += int(report.wrong)
    policy.log(records)
    policy.record(events, wrong)


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
