"""Raw MovieLens ids <-> dense row/column indices, and the binary user x item matrix built from them.

Every recommender keeps one :class:`IdIndex` for users and one for items, so a score column ``j`` always means
``items_.ids[j]`` and evaluation, serving and training agree on the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

__all__ = ["IdIndex", "UnknownIdError", "interaction_matrix"]


class UnknownIdError(KeyError):
    """An id that the index (i.e. the fitted model) has never seen."""


@dataclass(frozen=True)
class IdIndex:
    """A sorted, unique array of raw ids; position in it is the dense index."""

    ids: np.ndarray  # (n,) int64, strictly increasing

    @classmethod
    def from_ids(cls, ids: ArrayLike) -> IdIndex:
        """Index the distinct values of ``ids`` in ascending order."""
        return cls(np.unique(np.asarray(ids, dtype=np.int64)))

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def lookup(self, raw: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Map raw ids to indices without raising: ``(indices, known)``; unknown ids get index 0."""
        raw = np.asarray(raw, dtype=np.int64)
        pos = np.searchsorted(self.ids, raw)
        # (n,) positions past the end would index out of range; clip them, then compare to find true hits.
        pos = np.minimum(pos, max(len(self) - 1, 0))
        known = (self.ids[pos] == raw) if len(self) else np.zeros(raw.shape, dtype=bool)
        return np.where(known, pos, 0), known

    def index(self, raw: ArrayLike) -> np.ndarray:
        """Map raw ids to indices; raise :class:`UnknownIdError` naming the first unseen id."""
        pos, known = self.lookup(raw)
        if not known.all():
            first = np.asarray(raw).reshape(-1)[int(np.argmin(known.reshape(-1)))]
            raise UnknownIdError(f"id {int(first)} is not in the index ({len(self)} known ids)")
        return pos

    def contains(self, raw: ArrayLike) -> np.ndarray:
        """Boolean mask of which raw ids are known."""
        return self.lookup(raw)[1]


def interaction_matrix(frame: pd.DataFrame, users: IdIndex, items: IdIndex) -> sp.csr_matrix:
    """Binary (n_users, n_items) float32 CSR matrix of the (user_id, item_id) pairs in ``frame``.

    Every rating counts as a positive (RecBole's ml-100k benchmark setting), duplicates collapse to 1, and
    pairs whose user or item is outside the indices are dropped.
    """
    rows, row_ok = users.lookup(frame["user_id"].to_numpy())
    cols, col_ok = items.lookup(frame["item_id"].to_numpy())
    keep = row_ok & col_ok
    data = np.ones(int(keep.sum()), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(len(users), len(items)), dtype=np.float32)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix
