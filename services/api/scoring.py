"""Scoring and logging one request's predictions: the champion scores in the request, the prediction is
queued for logging, and a share of spam traffic is queued for shadow scoring by the challenger. A
recommendation is ranked from the user's current history (their logged interactions folded in), so a new
interaction counts at the very next request, with no retrain."""

from __future__ import annotations

import random

from closedloop.registry import CHALLENGER
from closedloop.serving import (
    ModelSlots,
    PredictionLog,
    ServedModel,
    ShadowScorer,
    fast_inference,
    new_prediction_id,
)
from closedloop.store import PredictionRecord, Store, user_history
from models.recsys.signals import fold_history
from models.redaction import redact_pii
from models.spam.corpus import message_text
from services.api.schemas import RecommendedItem, RecommendIn, RecommendOut, SpamIn, SpamOut

# A private generator for the shadow-traffic draw: the request path never touches the global `random` state,
# which other code (and property-based tests driving the app in-process) may rely on.
_shadow_draw = random.Random()


def spam_text(item: SpamIn) -> str:
    """The model's input text, built and PII-redacted exactly as `closedloop.packaging.spam_texts` does."""
    if item.text is not None:
        return redact_pii(item.text)
    return redact_pii(message_text(item.subject or "", item.body or ""))


def score_spam(
    served: ServedModel, texts: list[str], *, log: PredictionLog, slots: ModelSlots, shadow_share: float
) -> list[SpamOut]:
    """Score `texts` in one model call and queue their predictions for logging."""
    with fast_inference():
        probabilities = served.wrapper.spam_probability(texts).tolist()  # (n,)
    return spam_results(served, texts, probabilities, log=log, slots=slots, shadow_share=shadow_share)


def spam_results(
    served: ServedModel,
    texts: list[str],
    probabilities: list[float],
    *,
    log: PredictionLog,
    slots: ModelSlots,
    shadow_share: float,
) -> list[SpamOut]:
    """Answers for scored texts; each prediction is queued for logging (and maybe shadow scoring)."""
    threshold = served.wrapper.threshold
    shadow = slots.get("spam", CHALLENGER) is not None and shadow_share > 0
    results = []
    for text, p in zip(texts, probabilities, strict=True):
        output = {"spam_probability": p, "is_spam": p >= threshold, "threshold": threshold}
        # Only the redacted text is stored: it is what the model saw, and holds no raw PII.
        record = PredictionRecord(
            id=new_prediction_id(),
            model="spam",
            model_version=served.version,
            input={"text": text},
            output=output,
            score=p,
        )
        log.submit(record, shadow=shadow and _shadow_draw.random() < shadow_share)
        results.append(SpamOut(prediction_id=record.id, model_version=served.version, **output))
    return results


def recommend(served: ServedModel, request: RecommendIn, *, store: Store, log: PredictionLog) -> RecommendOut:
    """Rank from the user's current history and queue the prediction for logging.

    That history is their training row, their logged interactions folded by `fold_history`, and the items
    the request says they liked. Blocking (one indexed store read): call it from the thread pool.
    """
    with store.session() as session:
        folded = fold_history(user_history(session, model="recsys", user_id=request.user_id))
    sent = set(request.history or ())
    # The request is the newest word on its items: liked now, even if the log holds an older dismissal.
    liked, turned_down = folded.positives | sent, folded.negatives - sent
    with fast_inference():
        ids, scores, cold_start = served.wrapper.recommend(
            request.user_id,
            request.k,
            exclude_seen=request.exclude_seen,
            history=liked,
            negatives=turned_down,
        )
    # Counts, not the lists: a heavy user's history would bloat every logged prediction.
    folded_counts = {"liked": len(liked), "turned_down": len(turned_down), "from_request": len(sent)}
    record = PredictionRecord(
        id=new_prediction_id(),
        model="recsys",
        model_version=served.version,
        input={
            "user_id": request.user_id,
            "k": request.k,
            "exclude_seen": request.exclude_seen,
            "folded_history": folded_counts,
        },
        output={"items": ids, "scores": scores, "cold_start": cold_start},
        score=scores[0] if scores else None,
    )
    log.submit(record)
    titles = served.wrapper.titles
    items = [
        RecommendedItem(item_id=i, title=titles.get(i), score=s) for i, s in zip(ids, scores, strict=True)
    ]
    return RecommendOut(
        prediction_id=record.id, items=items, model_version=served.version, cold_start=cold_start
    )


def shadow_scorer(slots: ModelSlots) -> ShadowScorer:
    """Scores queued spam predictions with the current challenger (runs in the prediction-log thread)."""

    def score(records: list[PredictionRecord]) -> list[PredictionRecord]:
        challenger = slots.get("spam", CHALLENGER)
        if challenger is None:
            return records
        with fast_inference():
            probabilities = challenger.wrapper.spam_probability([r.input["text"] for r in records]).tolist()
        threshold = challenger.wrapper.threshold
        return [
            r.model_copy(
                update={
                    "shadow_version": challenger.version,
                    "shadow_output": {
                        "spam_probability": p,
                        "is_spam": p >= threshold,
                        "threshold": threshold,
                    },
                }
            )
            for r, p in zip(records, probabilities, strict=True)
        ]

    return score
