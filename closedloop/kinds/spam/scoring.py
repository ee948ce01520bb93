"""Scoring and logging spam predictions: the model text of a request (capped, PII-redacted as in training),
the champion's probabilities, and the answers, each logged (a share also shadow-scored by the challenger)."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.spam.config import NAME
from closedloop.kinds.spam.schemas import SpamIn, SpamOut
from closedloop.serving import InvalidRequest, ServedModel, ServingContext, new_prediction_id
from closedloop.settings import Settings
from closedloop.store import PredictionRecord
from models.redaction import redact_pii
from models.spam.corpus import message_text


def checked_text(item: SpamIn, settings: Settings, where: str) -> str:
    """The model's input text for `item`, built and PII-redacted exactly as `packaging.spam_texts` does,
    after the configured length caps (`InvalidRequest` naming the field and the limit)."""
    caps = {
        "text": settings.max_text_chars,
        "body": settings.max_text_chars,
        "subject": settings.max_subject_chars,
    }
    for field, cap in caps.items():
        value = getattr(item, field)
        if value is not None and len(value) > cap:
            raise InvalidRequest(f"{where}.{field}: at most {cap} characters are accepted, got {len(value)}")
    if item.text is not None:
        return redact_pii(item.text)
    return redact_pii(message_text(item.subject or "", item.body or ""))


def probabilities(wrapper: Any, texts: list[str]) -> list[float]:
    """P(spam) of each text by a served spam filter, in one model call (`fast_inference` is the caller's)."""
    return wrapper.spam_probability(texts).tolist()  # type: ignore[no-any-return]  # (n,)


def spam_output(probability: float, threshold: float) -> dict[str, Any]:
    """A prediction's answer, as logged and as answered."""
    return {"spam_probability": probability, "is_spam": probability >= threshold, "threshold": threshold}


def answers(
    context: ServingContext, served: ServedModel, texts: list[str], scores: list[float]
) -> list[SpamOut]:
    """Answers for scored texts; each prediction is queued for logging (and maybe shadow scoring)."""
    threshold = served.wrapper.threshold
    results = []
    for text, p in zip(texts, scores, strict=True):
        output = spam_output(p, threshold)
        # Only the redacted text is stored: it is what the model saw, and holds no raw PII.
        record = PredictionRecord(
            id=new_prediction_id(),
            model=NAME,  # type: ignore[arg-type]  # the store's ModelName is still a Literal
            model_version=served.version,
            input={"text": text},
            output=output,
            score=p,
        )
        context.log(record)
        results.append(SpamOut(prediction_id=record.id, model_version=served.version, **output))
    context.count(served, len(results))
    return results
