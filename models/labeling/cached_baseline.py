"""The spam baseline retrained many times on growing subsets of one corpus, without re-reading the texts.

`TfidfLogisticSpamModel` re-tokenises every text it fits or scores; a labeling simulation fits dozens of
models on subsets of the same few thousand messages, so almost all of its time would go to tokenising the
same texts again. Here each text is analysed once, by the baseline's own analysers, into term counts over
the whole corpus; a fit then does what TfidfVectorizer does from those counts (document frequencies on the
training rows, `min_df`, the `max_features` most frequent terms, smoothed idf, sublinear tf, l2 norm) and
fits the baseline's logistic regression. Its probabilities equal the baseline's (tests/models/labeling).
Texts are addressed by their row index in the corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from models.spam.baseline import TfidfLogisticSpamModel

_TFIDF_ONLY = {"norm", "use_idf", "smooth_idf", "sublinear_tf"}


@dataclass(frozen=True)
class _View:
    counts: sp.csr_matrix  # (n_texts, n_terms_in_corpus), float32 term counts, columns in term order
    sublinear: sp.csr_matrix  # the same with each count c replaced by 1 + ln(c), TfidfVectorizer's tf
    min_df: int
    max_features: int | None


class CorpusCounts:
    """Term counts of every text of a corpus under each of the baseline's feature views (word, char)."""

    def __init__(self, texts: Sequence[str], **baseline_params: Any) -> None:
        self.baseline = TfidfLogisticSpamModel(**baseline_params)
        self.views: list[_View] = []
        for _, vectorizer in self.baseline._features().transformer_list:  # the baseline's exact views
            params = {k: v for k, v in vectorizer.get_params().items() if k not in _TFIDF_ONLY}
            counter = CountVectorizer(**{**params, "min_df": 1, "max_features": None})
            counts = sp.csr_matrix(counter.fit_transform(list(texts)), dtype=np.float32)
            sublinear = counts.copy()
            sublinear.data = np.log(sublinear.data) + 1
            self.views.append(_View(counts, sublinear, int(vectorizer.min_df), vectorizer.max_features))

    def __len__(self) -> int:
        return int(self.views[0].counts.shape[0])


class CachedSpamBaseline:
    """`TfidfLogisticSpamModel` over `CorpusCounts`: `fit(rows, y)` and `predict_proba(rows)` take row
    indices into the corpus instead of texts."""

    def __init__(self, corpus: CorpusCounts) -> None:
        self.corpus = corpus

    def fit(self, rows: Sequence[int], y: np.ndarray) -> CachedSpamBaseline:
        index = np.asarray(rows, dtype=np.int64)
        self.weights_: list[sp.csc_matrix] = []
        for view in self.corpus.views:
            counts = view.counts[index]  # (n_rows, n_terms)
            df = np.bincount(counts.indices, minlength=counts.shape[1])
            present = np.flatnonzero(df)  # the vocabulary TfidfVectorizer would see, in term order
            keep = df[present] >= view.min_df
            if view.max_features is not None and keep.sum() > view.max_features:
                tfs = np.asarray(counts.sum(axis=0), dtype=np.float32).ravel()[present]
                order = (-tfs[keep]).argsort()[: view.max_features]  # same call, same ties as sklearn
                chosen = np.zeros(len(present), dtype=bool)
                chosen[np.flatnonzero(keep)[order]] = True
                keep = chosen
            columns = present[keep]
            # smooth idf as TfidfTransformer: ln((1 + n) / (1 + df)) + 1
            idf = (np.log((1 + len(index)) / (1 + df[columns])) + 1).astype(np.float32)
            # (n_terms_in_corpus, n_kept): picks the kept terms and weighs them by idf in one product
            select = (idf, (columns, np.arange(len(columns))))
            self.weights_.append(sp.csc_matrix(select, shape=(counts.shape[1], len(columns))))
        baseline = self.corpus.baseline
        self.classifier_ = LogisticRegression(
            C=baseline.C, class_weight=baseline.class_weight, max_iter=baseline.max_iter, solver="liblinear"
        ).fit(self._features(index), np.asarray(y))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, rows: Sequence[int]) -> np.ndarray:
        """(n_rows, 2): P(ham), P(spam)."""
        return self.classifier_.predict_proba(self._features(np.asarray(rows, dtype=np.int64)))

    def _features(self, index: np.ndarray) -> sp.csr_matrix:
        blocks = []
        for view, weights in zip(self.corpus.views, self.weights_, strict=True):
            blocks.append(normalize(view.sublinear[index] @ weights, norm="l2"))
        return sp.hstack(blocks, format="csr", dtype=np.float32)
