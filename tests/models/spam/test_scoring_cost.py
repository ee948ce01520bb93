"""The scoring-cost measurement: validation data only, both ways of scoring, the same figures of quality."""

from __future__ import annotations

import pandas as pd
import pytest

from models.spam.corpus import deduplicate
from models.spam.evaluate import TEST_FRACTION
from models.spam.scoring_cost import scoring_cost, validation_splits
from models.spam.splits import random_split, time_split
from tests.models.spam.factories import synthetic_corpus


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return synthetic_corpus(300, seed=5)


def test_splits_are_the_protocols_and_never_hold_a_test_message(corpus: pd.DataFrame) -> None:
    splits = list(validation_splits(corpus, seeds=(0, 1)))
    assert [name for name, _, _ in splits] == ["random-0", "random-1", "time"]
    messages = deduplicate(corpus)
    tests = [random_split(messages, TEST_FRACTION, 0).test, random_split(messages, TEST_FRACTION, 1).test]
    tests.append(time_split(messages, TEST_FRACTION).test)
    for (_, fit, val), test in zip(splits, tests, strict=True):
        seen = set(fit["message_id"]) | set(val["message_id"])
        assert seen.isdisjoint(test["message_id"]) and len(seen) + len(test) == len(messages)
        assert set(fit["message_id"]).isdisjoint(val["message_id"])


def test_both_ways_of_scoring_report_the_same_quality(corpus: pd.DataFrame) -> None:
    _, fit, val = next(iter(validation_splits(corpus, seeds=(0,))))
    cost = scoring_cost(fit, val, timed=16)
    assert cost["max_abs_probability_difference"] < 1e-6
    assert cost["sklearn"]["f1"] == cost["compiled"]["f1"] > 0.9
    assert {"ms_batch_1", "ms_batch_8"} <= set(cost["compiled"])
