"""Texts -> weighted bags of hashed word n-grams: the input of the EmbeddingBag spam model.

No vocabulary is stored: n-grams are hashed with MurmurHash3 (scikit-learn's HashingVectorizer), which is
stable across processes, so a pickled model scores a text the same way in serving as in training.

Only buckets present in at least `min_df` training texts get an embedding row (`rows_` maps bucket ->
row, -1 for the rest, which drop out of every bag): an n-gram never trained on has nothing to say, and
the shared loop's dense AdamW update costs time per row, so 2**20 buckets (few collisions) shrink to the
~150k rows the SpamAssassin training texts use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils.validation import check_is_fitted

# Same tokens as the TF-IDF baseline: words of 2+ characters, and runs of $ or ! (spam's tone of voice).
TOKEN_PATTERN = r"(?u)\b\w\w+\b|[$!]+"
WEIGHTINGS = ("tfidf", "mean")


class NgramBags(TransformerMixin, BaseEstimator):
    """Hash word n-grams; weight each text's bag by `weighting`.

    "tfidf": sublinear tf x idf (idf from the training texts), L2-normalised per text, so a long list
    digest and a short spam weigh their words alike. "mean": fastText's plain average of occurrences.
    `fit` learns `rows_` (n_buckets,) and `idf_` (n_rows_,); `transform` gives (n_texts, n_rows_) CSR.
    """

    def __init__(
        self,
        *,
        n_buckets: int = 2**20,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        weighting: str = "tfidf",
    ) -> None:
        self.n_buckets = n_buckets
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.weighting = weighting

    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        # alternate_sign=False and norm=None: raw counts, weighted below.
        hasher = HashingVectorizer(
            n_features=self.n_buckets,
            ngram_range=self.ngram_range,
            token_pattern=TOKEN_PATTERN,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        return hasher.transform([str(text) for text in texts]).tocsr()

    def fit(self, texts: Sequence[str], y: object = None) -> NgramBags:
        """Learn which buckets get a row, and their idf, from the training texts."""
        self._fit_counts(self._counts(texts))
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None, **fit_params: object) -> sp.csr_matrix:
        """`fit(texts).transform(texts)`, hashing the texts once."""
        counts = self._counts(texts)
        self._fit_counts(counts)
        return self._weigh(counts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """(n_texts, n_rows_) float32 CSR of bag weights; buckets without a row are dropped."""
        check_is_fitted(self, "rows_")
        return self._weigh(self._counts(texts))

    def _fit_counts(self, counts: sp.csr_matrix) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        doc_freq = np.bincount(counts.indices, minlength=self.n_buckets)  # (n_buckets,) texts per bucket
        kept = np.flatnonzero(doc_freq >= self.min_df)  # (n_rows,)
        if len(kept) == 0:
            raise ValueError(f"no n-gram occurs in min_df={self.min_df} training texts; lower min_df")
        self.rows_ = np.full(self.n_buckets, -1, dtype=np.int32)
        self.rows_[kept] = np.arange(len(kept), dtype=np.int32)
        # Smoothed idf, as scikit-learn's TfidfVectorizer: log((1 + n) / (1 + df)) + 1.
        self.idf_ = (np.log((1 + counts.shape[0]) / (1 + doc_freq[kept])) + 1.0).astype(np.float32)
        self.n_rows_ = len(kept)

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        # Plain numpy on the CSR arrays: scipy's constructors and products cost ~1 ms per call, most of a
        # one-message prediction. The hasher sums duplicate buckets and rows_ is one-to-one (and increasing)
        # on the kept buckets, so the kept entries, in place, already form a valid CSR: no column twice in
        # a row, and columns stay in the hasher's (sorted) order.
        n_texts = counts.shape[0]
        rows = self.rows_[counts.indices]  # (nnz,) embedding row per entry, -1 for dropped buckets
        kept = rows >= 0
        indptr = np.concatenate([[0], np.cumsum(kept)])[counts.indptr]  # (n_texts + 1,) of the kept entries
        text_ids = np.repeat(np.arange(n_texts), np.diff(indptr))  # (nnz_kept,)
        columns = rows[kept]
        if self.weighting == "mean":
            weights = counts.data[kept].astype(np.float32)
            norms = np.bincount(text_ids, weights=weights, minlength=n_texts)  # (n_texts,) L1: sum to 1
        else:
            weights = ((1.0 + np.log(counts.data[kept])) * self.idf_[columns]).astype(np.float32)
            norms = np.sqrt(np.bincount(text_ids, weights=weights * weights, minlength=n_texts))  # L2
        # An empty bag (no known n-gram) stays empty: EmbeddingBag gives it the zero vector.
        data = (weights / np.maximum(norms, 1e-12)[text_ids]).astype(np.float32)
        return sp.csr_matrix((data, columns, indptr), shape=(n_texts, self.n_rows_), dtype=np.float32)
