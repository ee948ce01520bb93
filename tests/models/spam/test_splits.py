"""Splits: disjoint, complete, ordered in time, deterministic, stratified."""

from __future__ import annotations

import pandas as pd
import pytest

from models.spam.splits import random_split, time_split, validation_split
from tests.models.spam.factories import synthetic_corpus


@pytest.fixture
def corpus() -> pd.DataFrame:
    frame = synthetic_corpus(200, seed=1)
    frame.loc[[5, 50], "date"] = pd.NaT  # undated messages must still land somewhere, and only once
    return frame.sample(frac=1.0, random_state=3)  # arrival order must not matter


def _ids(frame: pd.DataFrame) -> set[str]:
    return set(frame["message_id"])


def test_splits_are_disjoint_and_complete(corpus: pd.DataFrame) -> None:
    for train, test in (time_split(corpus), random_split(corpus, seed=0)):
        assert not _ids(train) & _ids(test)
        assert _ids(train) | _ids(test) == _ids(corpus)
        assert len(test) == 60  # 30 % of 200
        fit, val = validation_split(train, 0.15, seed=0, by_time=False)
        assert not _ids(fit) & _ids(val) and _ids(fit) | _ids(val) == _ids(train)


def test_time_split_trains_on_the_past(corpus: pd.DataFrame) -> None:
    train, test = time_split(corpus)
    assert train["date"].max() <= test["date"].dropna().min()
    assert train["date"].notna().all()  # NaT sorts last: undated mail is never trained on
    assert test["date"].isna().sum() == 2
    fit, val = validation_split(train, 0.15, by_time=True)
    assert fit["date"].max() <= val["date"].min()
    assert len(val) == round(len(train) * 0.15)


def test_splits_are_deterministic_and_seeded(corpus: pd.DataFrame) -> None:
    reordered = corpus.sample(frac=1.0, random_state=7)
    assert _ids(time_split(corpus).test) == _ids(time_split(reordered).test)
    assert _ids(random_split(corpus, seed=4).test) == _ids(random_split(reordered, seed=4).test)
    assert _ids(random_split(corpus, seed=4).test) != _ids(random_split(corpus, seed=5).test)
    assert _ids(validation_split(corpus, seed=2, by_time=False).val) == _ids(
        validation_split(reordered, seed=2, by_time=False).val
    )


def test_random_split_is_stratified(corpus: pd.DataFrame) -> None:
    rate = corpus["label"].mean()
    train, test = random_split(corpus, seed=0)
    assert abs(test["label"].mean() - rate) < 1 / len(test) + 1e-9
    assert abs(train["label"].mean() - rate) < 1 / len(train) + 1e-9


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.001])
def test_fraction_that_empties_a_part_is_rejected(corpus: pd.DataFrame, fraction: float) -> None:
    with pytest.raises(ValueError, match=r"fraction|hold out"):
        time_split(corpus, fraction)
