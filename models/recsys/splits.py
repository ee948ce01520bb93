"""Per-user random ratio split (RecBole's ``order: RO, split: {RS: [0.8, 0.1, 0.1]}, group_by: user``).

RecBole shuffles all interactions, groups them by user (keeping the shuffled order) and cuts each user's list
by ``Dataset._calcu_split_ids`` (recbole/data/dataset/dataset.py, v1.x):

    cnt = [int(r * n) for r in ratios]; cnt[0] = n - sum(cnt[1:])    # valid, test round down; train: the rest
    for i in 1..len-1:
        if cnt[0] <= 1: break                                        # never empty the training part
        if 0 < ratios[-i] * n < 1: cnt[-i] += 1; cnt[0] -= 1         # small users still get test, then valid

For 8:1:1: n=1 -> (1,0,0), n=2 -> (1,0,1), 3 <= n <= 19 -> (n-2,1,1), n >= 20 -> (n-2*(n//10), n//10, n//10).
Every user keeps at least one training rating; users with 1 or 2 ratings are explicitly short of a valid (and
test) rating rather than dropped. The partition is a deterministic function of ``seed`` and the set
of rows (rows are put in canonical order first), not bit-identical to RecBole's torch-seeded shuffle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RatingSplit", "split_counts", "split_ratings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RatingSplit:
    """Disjoint train / valid / test rating frames (same columns as the input)."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame


def split_counts(n: np.ndarray, ratios: tuple[float, ...] = (0.8, 0.1, 0.1)) -> np.ndarray:
    """Per-user part sizes following RecBole's ``_calcu_split_ids``: (n_users,) -> (n_users, len(ratios))."""
    if len(ratios) < 2 or min(ratios) < 0 or sum(ratios) <= 0:
        raise ValueError(f"ratios must be >= 2 non-negative numbers with a positive sum, got {ratios}")
    total = sum(ratios)
    r = np.asarray([x / total for x in ratios])  # normalised like RecBole: 8:1:1 == 0.8/0.1/0.1
    n = np.asarray(n, dtype=np.int64)
    raw = r[None, :] * n[:, None]  # (users, parts) float, the same product RecBole truncates
    cnt = raw.astype(np.int64)
    cnt[:, 0] = n - cnt[:, 1:].sum(axis=1)
    active = np.ones(n.shape[0], dtype=bool)
    for i in range(1, len(ratios)):
        active &= cnt[:, 0] > 1  # RecBole `break`s for good once train is down to one rating
        bump = active & (raw[:, -i] > 0) & (raw[:, -i] < 1)
        cnt[bump, -i] += 1
        cnt[bump, 0] -= 1
    return cnt


def split_ratings(
    ratings: pd.DataFrame, *, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> RatingSplit:
    """Shuffle each user's ratings with ``seed`` and cut them train:valid:test by ``ratios``."""
    if len(ratios) != 3:
        raise ValueError(f"expected three ratios (train, valid, test), got {ratios}")
    missing = {"user_id", "item_id"} - set(ratings.columns)
    if missing:
        raise ValueError(f"ratings frame lacks column(s) {sorted(missing)}")
    # Canonical row order first, so the partition depends on the data and the seed, never on file order.
    frame = ratings.sort_values(["user_id", "item_id"], kind="stable", ignore_index=True)
    rng = np.random.default_rng(seed)
    # RecBole: one global shuffle, then a stable group-by-user, so each user's rows end up in random order.
    perm = rng.permutation(len(frame))
    order = perm[np.argsort(frame["user_id"].to_numpy()[perm], kind="stable")]
    users = frame["user_id"].to_numpy()[order]

    # (rows,) position of each row inside its user's shuffled run.
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    sizes = np.diff(np.r_[starts, len(users)])
    position = np.arange(len(users)) - np.repeat(starts, sizes)
    cnt = split_counts(sizes, ratios)  # (users, 3)
    train_end = np.repeat(cnt[:, 0], sizes)
    valid_end = train_end + np.repeat(cnt[:, 1], sizes)
    part = np.where(position < train_end, 0, np.where(position < valid_end, 1, 2))

    pieces = [frame.iloc[np.sort(order[part == p])].reset_index(drop=True) for p in range(3)]
    n_short = int((cnt[:, 1] == 0).sum())
    if n_short:
        logger.info("%d user(s) with < 3 ratings have no validation rating (RecBole rounding)", n_short)
    return RatingSplit(train=pieces[0], valid=pieces[1], test=pieces[2])
