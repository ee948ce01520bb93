"""Train / validation / test splits for the two evaluation protocols.

- time: train on the past, test on the future, the way a deployed filter meets mail. Messages are ordered
  by (date, message_id); a message without a date (NaT) sorts last, so it lands in test: we can't prove
  it is from the past, and leaking the future into training would flatter the model.
- random: stratified by label and seeded; the optimistic i.i.d. number most papers report.

Both return a `DataSplit` (a NamedTuple, so `train, test = time_split(df)` also works); the same rows and
seed always give the same message_ids, whatever order the rows came in.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

SPLITS = ("time", "random")  # the evaluation protocol's splits, by name


class DataSplit(NamedTuple):
    """Two disjoint parts of a frame: what the model learns from, and what it is scored on."""

    train: pd.DataFrame
    test: pd.DataFrame


class ValidationSplit(NamedTuple):
    """The training set cut in two: `train` to fit the model, `val` to choose its threshold and stop early."""

    train: pd.DataFrame
    val: pd.DataFrame


def _check_fraction(df: pd.DataFrame, fraction: float) -> int:
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    n_held_out = round(len(df) * fraction)
    if not 0 < n_held_out < len(df):
        raise ValueError(f"can't hold out {fraction:.0%} of {len(df)} rows and keep both parts non-empty")
    return n_held_out


def _split_by_time(df: pd.DataFrame, fraction: float) -> DataSplit:
    n_held_out = _check_fraction(df, fraction)
    ordered = df.sort_values(["date", "message_id"], na_position="last", kind="stable")
    cut = len(ordered) - n_held_out
    return DataSplit(ordered.iloc[:cut].reset_index(drop=True), ordered.iloc[cut:].reset_index(drop=True))


def _split_stratified(df: pd.DataFrame, fraction: float, seed: int) -> DataSplit:
    n_held_out = _check_fraction(df, fraction)
    # Sort first so the split depends on the rows, not on the order they arrived in.
    ordered = df.sort_values("message_id", kind="stable").reset_index(drop=True)
    labels = ordered["label"]
    stratify = labels if labels.value_counts().min() >= 2 else None
    from sklearn.model_selection import train_test_split  # ~1 s import: only when a split is cut

    train, test = train_test_split(ordered, test_size=n_held_out, random_state=seed, stratify=stratify)
    return DataSplit(train.reset_index(drop=True), test.reset_index(drop=True))


def time_split(df: pd.DataFrame, test_fraction: float = 0.3) -> DataSplit:
    """Earliest (1 - test_fraction) of messages by date to train, the latest to test (NaT sorts latest)."""
    return _split_by_time(df, test_fraction)


def random_split(df: pd.DataFrame, test_fraction: float = 0.3, seed: int = 0) -> DataSplit:
    """Stratified random split: both parts keep the corpus's spam rate."""
    return _split_stratified(df, test_fraction, seed)


def validation_split(
    train_df: pd.DataFrame, fraction: float = 0.15, seed: int = 0, *, by_time: bool
) -> ValidationSplit:
    """Carve the validation set (where the operating threshold is chosen) out of the training set.

    With `by_time` the validation set is the latest
    `fraction` of train, so the threshold is tuned on mail that is "newer" than what the model fit on, as
    the test set will be; otherwise it is a stratified random sample (`seed` is unused with `by_time`).
    """
    parts = _split_by_time(train_df, fraction) if by_time else _split_stratified(train_df, fraction, seed)
    return ValidationSplit(train=parts.train, val=parts.test)
