"""NgramBags: hashed n-gram bags and their weights."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from models.spam.hashing import WEIGHTINGS, NgramBags

TEXTS = ["free money free", "free lunch meeting", "project meeting notes", "money money money"]


def test_tfidf_bags_are_unit_length_and_mean_bags_sum_to_one() -> None:
    tfidf = NgramBags(n_buckets=2**16, min_df=1).fit_transform(TEXTS)
    np.testing.assert_allclose(np.sqrt(tfidf.multiply(tfidf).sum(axis=1)).A1, 1.0, rtol=1e-5)
    mean = NgramBags(n_buckets=2**16, min_df=1, weighting="mean").fit_transform(TEXTS)
    np.testing.assert_allclose(mean.sum(axis=1).A1, 1.0, rtol=1e-5)
    # "free money free": unigrams free x2, money; bigrams "free money", "money free" -> 4 entries
    assert mean[0].nnz == 4 and mean[0].max() == pytest.approx(2 / 5)


def test_rare_buckets_get_no_row_and_unknown_texts_give_empty_bags() -> None:
    bags = NgramBags(n_buckets=2**20, min_df=2).fit(TEXTS)
    # df >= 2: free, money, meeting (bigrams all occur once)
    assert bags.n_rows_ == 3 == int((bags.rows_ >= 0).sum())
    assert bags.transform(["zebra crossing", ""]).nnz == 0
    assert bags.transform(["free zebra"]).nnz == 1


_TRANSFORM_IN_CHILD = """
import pickle, sys
bags = pickle.load(sys.stdin.buffer)
sys.stdout.buffer.write(pickle.dumps(bags.transform(["free money meeting"])))
"""


def test_hashing_is_stable_across_processes() -> None:
    bags = NgramBags(n_buckets=2**16, min_df=1).fit(TEXTS)
    here = bags.transform(["free money meeting"])
    # A new interpreter has a new str-hash salt; MurmurHash3 must not care.
    child = subprocess.run(
        [sys.executable, "-c", _TRANSFORM_IN_CHILD],
        input=pickle.dumps(bags),
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    there = pickle.loads(child.stdout)
    assert here.nnz == 4 and (here != there).nnz == 0  # free, money, meeting, "free money"


def test_unknown_weighting_is_rejected() -> None:
    with pytest.raises(ValueError, match="weighting"):
        NgramBags(weighting="max").fit(TEXTS)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_a_batch_weighs_each_text_as_alone(weighting: str) -> None:
    bags = NgramBags(n_buckets=2**16, min_df=1, weighting=weighting).fit(TEXTS)
    # Empty bags first, between and last: each row must still be the bag of its own text.
    batch = ["", "free money", "zebra", "meeting notes money", "", "zebra crossing"]
    together = bags.transform(batch)
    assert together.shape == (len(batch), bags.n_rows_)
    for row, text in enumerate(batch):
        alone = bags.transform([text])
        np.testing.assert_allclose(together[row].toarray(), alone.toarray(), rtol=1e-6)
    assert [together[row].nnz for row in range(len(batch))] == [
        0,
        3,
        0,
        4,
        0,
        0,
    ]  # "meeting notes" is a known bigram
