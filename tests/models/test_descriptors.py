"""Descriptors of spam texts and recommendation requests: what each number counts, and novelty measured
against the reference profile."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.recsys.descriptors import (
    DESCRIPTORS as RECSYS_DESCRIPTORS,
)
from models.recsys.descriptors import describe_requests, interaction_profile, reference_users
from models.spam.descriptors import DESCRIPTORS, describe_text, describe_texts, text_profile, url_domains

PROFILE = text_profile(["meeting notes for the build", "see https://lists.example.org/archive"])


def test_counts_of_a_shouting_message_with_links():
    text = "WIN CASH now!!! Visit http://www.deals.example.biz or https://lists.example.org call 555 <email>"
    d = describe_text(text, PROFILE)
    assert d["length"] == len(text)
    assert d["url_count"] == 2
    assert d["digit_count"] == 3
    assert d["exclamation_count"] == 3
    assert d["email_count"] == 1
    letters = sum(c.isalpha() for c in text)
    assert d["uppercase_share"] == pytest.approx(sum(c.isupper() for c in text) / letters)
    assert d["novel_domain_share"] == 0.5  # deals.example.biz is new, lists.example.org was in the reference


def test_unseen_tokens_are_measured_against_the_reference_vocabulary():
    assert describe_text("Meeting notes for the build", PROFILE)["unseen_token_share"] == 0.0
    assert describe_text("meeting bitcoin notes crypto", PROFILE)["unseen_token_share"] == 0.5


def test_an_empty_message_has_zero_shares_not_nan():
    d = describe_text("", PROFILE)
    assert all(math.isfinite(v) for v in d.values())
    assert d["uppercase_share"] == d["unseen_token_share"] == d["novel_domain_share"] == 0.0


def test_url_hosts_are_case_folded_without_www():
    assert url_domains("go to WWW.Example.COM/x and http://a.b.io") == ["example.com", "a.b.io"]


def test_describe_texts_gives_one_float_row_per_text():
    frame = describe_texts(["a b", "c d e!"], PROFILE)
    assert list(frame.columns) == list(DESCRIPTORS)
    assert frame.shape == (2, len(DESCRIPTORS))
    assert all(dtype == np.float64 for dtype in frame.dtypes)


TRAIN = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 3], "item_id": [10, 20, 30, 10, 20, 10]})


def test_request_descriptors_use_training_counts():
    requests = pd.DataFrame(
        {"user_id": [1, 1, 9], "items": [[10, 20], [30], []], "scores": [[0.9, 0.5], [0.4], []]}
    )
    frame = describe_requests(requests, interaction_profile(TRAIN))
    assert list(frame.columns) == list(RECSYS_DESCRIPTORS)
    assert frame["user_requests"].tolist() == [2, 2, 1]
    assert frame["user_history"].tolist() == [3, 3, 0]  # user 9 is unknown to training
    assert frame["item_popularity"].tolist() == [2.5, 1.0, 0.0]  # item 10: 3, item 20: 2, item 30: 1
    assert frame["top_score"].iloc[0] == 0.9
    assert frame["mean_score"].iloc[0] == pytest.approx(0.7)
    assert math.isnan(frame["top_score"].iloc[2])


def test_reference_users_follow_training_activity():
    users = reference_users(TRAIN, 6000, seed=0)
    shares = pd.Series(users).value_counts(normalize=True)
    assert shares[1] == pytest.approx(0.5, abs=0.03)  # user 1 has half of the interactions
    assert set(users) <= {1, 2, 3}
