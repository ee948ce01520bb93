"""The selection policy on constructed candidates: what it asks humans first, and its random share."""

from __future__ import annotations

import itertools

import pytest

from models.labeling import Candidate, QueuePolicy, select_batch


def test_order_is_disputed_then_disagreement_then_uncertainty() -> None:
    candidates = [
        Candidate(key="sure-ham", score=0.02),
        Candidate(key="near", score=0.48),
        Candidate(key="nearest", score=0.51),
        Candidate(key="split", score=0.9, challenger_score=0.2),  # champion spam, challenger ham
        Candidate(key="reported", score=0.95, disputed=True),
        Candidate(key="far", score=0.8),
    ]
    picks = select_batch(candidates, QueuePolicy(batch_size=6, random_share=0.0))
    assert [candidates[p.index].key for p in picks] == [
        "reported",
        "split",
        "nearest",
        "near",
        "far",
        "sure-ham",
    ]
    assert [p.reason for p in picks] == ["disputed", "disagreement"] + ["uncertainty"] * 4
    assert [p.priority for p in picks] == sorted((p.priority for p in picks), reverse=True)
    assert picks[2].priority == pytest.approx(0.99)


def test_agreeing_challenger_is_only_uncertainty() -> None:
    [pick] = select_batch(
        [Candidate(key="x", score=0.7, challenger_score=0.9)], QueuePolicy(batch_size=1, random_share=0)
    )
    assert pick.reason == "uncertainty" and pick.priority == pytest.approx(0.8)


def test_threshold_is_the_models_own() -> None:
    candidates = [Candidate(key="a", score=0.5, threshold=0.9), Candidate(key="b", score=0.85, threshold=0.9)]
    picks = select_batch(candidates, QueuePolicy(batch_size=1, random_share=0.0))
    assert candidates[picks[0].index].key == "b"


def test_random_share_is_drawn_from_the_rest_and_interleaved() -> None:
    candidates = [Candidate(key=str(i), score=i / 100) for i in range(100)]
    picks = select_batch(candidates, QueuePolicy(batch_size=20, random_share=0.25, seed=3))
    reasons = [p.reason for p in picks]
    assert len(picks) == 20 and reasons.count("random") == 5
    assert len({p.index for p in picks}) == 20  # no candidate twice
    informative = [candidates[p.index].score for p in picks if p.reason == "uncertainty"]
    assert sorted(informative) == pytest.approx([i / 100 for i in range(43, 58)])  # the 15 nearest 0.5
    distances = [abs(score - 0.5) for score in informative]
    assert distances == sorted(distances)
    # spread out: one random pick in each quarter of the batch
    assert all(quarter.count("random") >= 1 for quarter in (reasons[i : i + 5] for i in range(0, 20, 5)))
    # random items take the priority of their place, so they are served at their share, not last
    assert all(a.priority >= b.priority for a, b in itertools.pairwise(picks))


def test_same_seed_same_batch() -> None:
    candidates = [Candidate(key=str(i), score=None) for i in range(50)]
    policy = QueuePolicy(batch_size=10, random_share=0.1, seed=7)
    first, second = select_batch(candidates, policy), select_batch(candidates, policy)
    assert first == second
    assert all(p.reason == "random" for p in first)  # nothing informative: the batch fills at random


def test_small_pools_and_empty() -> None:
    assert select_batch([], QueuePolicy()) == []
    picks = select_batch([Candidate(key="a", score=0.4)], QueuePolicy(batch_size=10, random_share=0.5))
    assert len(picks) == 1


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"random_share": 1.5}, {"window": 0}])
def test_policy_is_validated(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        QueuePolicy(**kwargs)
