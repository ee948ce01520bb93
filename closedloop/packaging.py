"""How a fitted model travels through MLflow: a pyfunc wrapper per task, holding the estimator and what
serving needs beside it (the spam threshold; the movie catalogue), so one artefact serves anywhere —
`mlflow models serve`, our own API, a notebook."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel

from models.redaction import redact_pii
from models.spam.corpus import message_text


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


class RecommenderModel(PythonModel):
    """DataFrame(user_id[, k]) -> DataFrame(item_ids, scores, cold_start), one row per user."""

    def __init__(self, estimator: Any, titles: dict[int, str]) -> None:
        self.estimator = estimator
        self.titles = titles

    def recommend(
        self,
        user_id: int,
        k: int,
        *,
        exclude_seen: bool = True,
        history: Iterable[int] = (),
        negatives: Iterable[int] = (),
    ) -> tuple[list[int], list[float], bool]:
        """Top `k` (item ids, scores, cold_start) for a user, ranked from their *current* history: what they
        had in training, plus `history` (items they liked since, e.g. logged interactions), minus
        `negatives` (items they turned down). With `exclude_seen` no item of either kind comes back.
        `cold_start` means there was no history at all, so the popular items were served."""
        estimator = self.estimator
        rows, known = estimator.users_.lookup(np.asarray([user_id]))
        trained: set[int] = set()
        if known[0]:
            columns = estimator.interactions_[int(rows[0])].indices
            trained = {int(i) for i in estimator.items_.ids[columns]}
        turned_down = set(negatives)
        liked = (trained | set(history)) - turned_down
        matrix = estimator.history_matrix([liked])  # (1, items)
        exclude = estimator.history_matrix([liked | turned_down | trained]) if exclude_seen else None
        ids, scores = estimator.recommend_histories(matrix, k, exclude=exclude)
        keep = ids[0] >= 0
        return [int(i) for i in ids[0][keep]], [float(s) for s in scores[0][keep]], matrix.nnz == 0

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        ks = model_input["k"] if "k" in model_input.columns else pd.Series([10] * len(model_input))
        rows = [self.recommend(int(u), int(k)) for u, k in zip(model_input["user_id"], ks, strict=True)]
        return pd.DataFrame(
            {
                "item_ids": [r[0] for r in rows],
                "scores": [r[1] for r in rows],
                "cold_start": [r[2] for r in rows],
            }
        )


def log_wrapper(
    wrapper: PythonModel, *, example: pd.DataFrame, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    """Log (and optionally register) a serving wrapper under the active run, with signature and input
    example (the kind's `input_example`)."""
    return _log(wrapper, example, registered_name)


def log_spam_model(
    estimator: Any, threshold: float, *, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    """Log (and optionally register) a spam filter under the active run, with signature and input example."""
    example = pd.DataFrame({"text": ["Re: patch for the parser\n\nLooks good to me, merging."]})
    return _log(SpamFilterModel(estimator, threshold), example, registered_name)


def log_recommender(
    estimator: Any, titles: dict[int, str], *, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    """Log (and optionally register) a recommender with its catalogue titles under the active run."""
    return _log(
        RecommenderModel(estimator, titles), pd.DataFrame({"user_id": [1], "k": [10]}), registered_name
    )


def _log(
    wrapper: PythonModel, example: pd.DataFrame, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=wrapper,
        signature=infer_signature(example, wrapper.predict(None, example)),
        input_example=example,
        registered_model_name=registered_name,
        pip_requirements=_requirements(),
    )


def load_wrapper(model_uri: str) -> Any:
    """The wrapper object itself (SpamFilterModel / RecommenderModel) for in-process serving and gating."""
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model()


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [
        f"{name}=={version(name)}" for name in ("torch", "scikit-learn", "pandas", "numpy", "scipy", "mlflow")
    ]
