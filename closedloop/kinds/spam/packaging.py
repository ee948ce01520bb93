"""The spam filter as an MLflow pyfunc: the estimator with its threshold, scoring texts (or subject + body)
PII-redacted exactly as in training, so one artefact serves anywhere — `mlflow models serve`, the API."""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from closedloop.registry.packaging import log_wrapper
from models.redaction import redact_pii
from models.spam.corpus import message_text

EXAMPLE = pd.DataFrame({"text": ["Re: patch for the parser\n\nLooks good to me, merging."]})


def spam_texts(frame: pd.DataFrame) -> list[str]:
    """Model input texts from a `text` column, or `subject` + `body`; PII redacted exactly as in training."""
    if "text" in frame.columns:
        texts = frame["text"].fillna("").astype(str)
    elif {"subject", "body"} <= set(frame.columns):
        texts = pd.Series(
            [
                message_text(str(s or ""), str(b or ""))
                for s, b in zip(frame["subject"], frame["body"], strict=True)
            ]
        )
    else:
        raise ValueError("spam input needs a `text` column, or `subject` and `body` columns")
    return [redact_pii(t) for t in texts]


class SpamFilterModel(PythonModel):
    """DataFrame(text | subject, body) -> DataFrame(spam_probability, is_spam)."""

    def __init__(self, estimator: Any, threshold: float) -> None:
        self.estimator = estimator
        self.threshold = float(threshold)

    def spam_probability(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.estimator.predict_proba(texts))[:, 1]

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        proba = self.spam_probability(spam_texts(model_input))
        return pd.DataFrame({"spam_probability": proba, "is_spam": proba >= self.threshold})


def log_spam_model(
    estimator: Any, threshold: float, *, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    """Log (and optionally register) a spam filter under the active run, with signature and input example."""
    return log_wrapper(
        SpamFilterModel(estimator, threshold), example=EXAMPLE, registered_name=registered_name
    )
