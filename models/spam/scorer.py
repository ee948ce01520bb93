"""The fitted TF-IDF + logistic regression baseline as arrays: P(spam) of one text in a few hundred µs.

`Pipeline.predict_proba` on one message costs milliseconds that are not arithmetic: FeatureUnion's
joblib dispatch, input validation at every step, a CSR matrix built per view, idf and norm applied as
sparse products, and scikit-learn's char analyzer building ~2,400 n-gram strings. The model itself is a
dot product: each view's score is sum_t w_t * coef_t / ||w|| over the text's known terms t, with
w_t = (1 + ln count_t) * idf_t (sublinear tf, idf, l2 norm: `TfidfVectorizer`'s defaults as the baseline
sets them), and P(spam) = sigmoid(word score + char score + intercept). `TfidfLogisticScorer` computes
exactly that from the fitted pipeline's own vocabularies, idf and coefficients, so it gives the pipeline's
probabilities (to float rounding), finding each view's terms with `models.spam.ngram_index` after the
vectorizer's own preprocessing and tokenizing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from models.spam.ngram_index import CharNgramIndex, WordNgramIndex


class _View:
    """One TF-IDF view of the union: how a text becomes vocabulary columns, and their idf and weights."""

    def __init__(self, vectorizer: TfidfVectorizer, coef: np.ndarray) -> None:
        self.vectorizer = vectorizer  # fitted; shared with the pipeline (pickled once)
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)  # (n_terms,)
        self.coef = np.asarray(coef, dtype=np.float64)  # (n_terms,) this view's slice of coef_
        self.index: CharNgramIndex | WordNgramIndex | None = None
        if vectorizer.analyzer == "char_wb":
            self.index = CharNgramIndex.from_vocabulary(vectorizer.vocabulary_, vectorizer.ngram_range)
        elif vectorizer.analyzer == "word" and vectorizer.stop_words is None:
            self.index = WordNgramIndex.from_vocabulary(vectorizer.vocabulary_, vectorizer.ngram_range)
        self._steps: tuple[Callable[[str], Any], Callable[[str], Any]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The vectorizer's preprocessor and tokenizer are rebuilt on first use: a cache, not state.
        return {**self.__dict__, "_steps": None}

    def counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of the vocabulary terms in `text`, each column once: two (n_terms,) int64."""
        if self._steps is None:
            self._steps = (self.vectorizer.build_preprocessor(), self.vectorizer.build_tokenizer())
        preprocess, tokenize = self._steps
        if isinstance(self.index, CharNgramIndex):
            return self.index.counts(preprocess(text))
        if isinstance(self.index, WordNgramIndex):
            return self.index.counts(tokenize(preprocess(text)))
        vocabulary = self.vectorizer.vocabulary_  # no index: the vectorizer's analyzer, term by term
        terms = self.vectorizer.build_analyzer()(text)
        found = [column for column in map(vocabulary.get, terms) if column is not None]
        return np.unique(np.array(found, dtype=np.int64), return_counts=True)  # type: ignore[no-any-return]

    def score(self, text: str) -> float:
        """This view's term of the decision function: coef . l2-normalised sublinear tf-idf."""
        columns, counts = self.counts(text)
        if len(columns) == 0:
            return 0.0  # no known term: an all-zero row, as TfidfVectorizer gives
        weights = (1.0 + np.log(counts)) * self.idf[columns]
        return float(weights @ self.coef[columns]) / float(np.sqrt(weights @ weights))


class TfidfLogisticScorer:
    """P(spam) from a fitted Pipeline([("tfidf", FeatureUnion of TfidfVectorizers), ("logreg", ...)]).

    Built by `from_pipeline` (None when the pipeline is not of that shape, or uses TF-IDF options this
    arithmetic does not reproduce); `spam_probability(texts)` -> (n,) float64.
    """

    def __init__(self, views: list[_View], intercept: float) -> None:
        self.views = views
        self.intercept = intercept

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> TfidfLogisticScorer | None:
        union, classifier = pipeline.named_steps["tfidf"], pipeline.named_steps["logreg"]
        if not isinstance(union, FeatureUnion) or union.transformer_weights is not None:
            return None
        if len(classifier.classes_) != 2:
            return None
        vectorizers = [vectorizer for _, vectorizer in union.transformer_list]
        reproduced = all(
            isinstance(v, TfidfVectorizer)
            and v.sublinear_tf
            and v.use_idf
            and v.norm == "l2"
            and v.binary is False
            and v.analyzer in ("word", "char_wb")
            for v in vectorizers
        )
        if not reproduced:
            return None
        coef = np.asarray(classifier.coef_, dtype=np.float64).ravel()  # (n_word + n_char,)
        bounds = np.cumsum([0] + [len(v.vocabulary_) for v in vectorizers])
        views = [
            _View(v, coef[lo:hi]) for v, lo, hi in zip(vectorizers, bounds[:-1], bounds[1:], strict=True)
        ]
        return cls(views, float(np.asarray(classifier.intercept_).ravel()[0]))

    def spam_probability(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) P(spam), one text at a time: per text, a few small numpy operations per view."""
        decision = np.array(
            [self.intercept + sum(view.score(text) for view in self.views) for text in texts],
            dtype=np.float64,
        )
        return expit(decision)  # type: ignore[no-any-return]
