"""TF-IDF + logistic regression: the strong, cheap baseline every spam model here has to beat.

Word uni+bi-grams catch the vocabulary of spam ("click here", "remove me"); character 3-5-grams inside
word boundaries catch what word tokens miss in 2002 spam: obfuscated words ("v1agra", "fr.ee"), HTML
residue and runs of punctuation ("!!!", "$$$"). Both use sublinear tf, so one message repeating "free"
fifty times isn't fifty times as spammy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from models.spam.inputs import check_texts_and_labels


class TfidfLogisticSpamModel(ClassifierMixin, BaseEstimator):
    """Spam classifier over raw message texts (see `models.spam.corpus.message_text`).

    Parameters are stored untouched (scikit-learn contract); `fit` builds `pipeline_`. `classes_` is
    [0, 1], so `predict_proba(texts)[:, 1]` is P(spam).
    """

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] | None = None,
        min_df: int = 2,
        max_features: int | None = 200_000,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def _features(self) -> FeatureUnion:
        vectorizers = [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=self.word_ngram_range,
                    min_df=self.min_df,
                    max_features=self.max_features,
                    sublinear_tf=True,
                    dtype=np.float32,
                    # Tokens of 2+ word chars, plus $ and ! runs, which carry much of spam's tone.
                    token_pattern=r"(?u)\b\w\w+\b|[$!]+",
                ),
            ),
        ]
        if self.char_ngram_range is not None:
            vectorizers.append(
                (
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=self.char_ngram_range,
                        min_df=self.min_df,
                        max_features=self.max_features,
                        sublinear_tf=True,
                        dtype=np.float32,
                    ),
                )
            )
        return FeatureUnion(vectorizers)

    def fit(self, texts: Sequence[str], y: Sequence[int] | np.ndarray) -> TfidfLogisticSpamModel:
        """Learn the vocabulary and weights; returns self."""
        text_list, labels = check_texts_and_labels(texts, y)
        # liblinear: fast on sparse, high-dimensional, few-thousand-row problems, and deterministic.
        classifier = LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            max_iter=self.max_iter,
            solver="liblinear",
        )
        self.pipeline_ = Pipeline([("tfidf", self._features()), ("logreg", classifier)]).fit(
            text_list, labels
        )
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, 2) array: column 0 is P(ham), column 1 P(spam)."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba([str(text) for text in texts])

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> np.ndarray:
        """0/1 per text: spam when P(spam) >= threshold (use the threshold chosen on validation data)."""
        return (self.predict_proba(texts)[:, 1] >= threshold).astype(np.int64)
