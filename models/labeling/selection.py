"""The active-learning policy: which unlabelled candidates humans should label next, and in what order.

One function serves the live queue (candidates from logged predictions) and the benchmark (candidates from
the unlabelled pool), so the benchmark measures the policy that runs.

Priorities, highest first (reasons in brackets):
- user feedback contradicts the model or itself [disputed]: 3 + how sure the model was that it was right;
- champion and challenger land on different sides of their thresholds [disagreement]: 2 + |score gap|;
- otherwise closeness of the champion's score to its threshold [uncertainty]: 1 - |score - threshold|, in
  [0, 1], highest where the model is least sure;
- a `random_share` of the batch is drawn uniformly from what is left [random] and interleaved evenly, each
  taking the priority of the pick before it, so random items are labelled at that share and quality
  estimates (accuracy against consensus) are not only measured on the hard cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Reason = Literal["uncertainty", "disagreement", "disputed", "random"]


@dataclass(frozen=True)
class QueuePolicy:
    """How a refill picks items. `batch_size`: most items added per refill; `random_share`: share of each
    batch drawn at random; `window`: newest logged predictions considered; `seed`: the random draw's."""

    batch_size: int = 200
    random_share: float = 0.1
    window: int = 10_000
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0.0 <= self.random_share <= 1.0:
            raise ValueError(f"random_share must be in [0, 1], got {self.random_share}")
        if self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")


@dataclass(frozen=True)
class Candidate:
    """What the policy knows about one unlabelled subject. Scores are probabilities of the positive class;
    None where unknown (a recommendation has no threshold; most predictions have no challenger score)."""

    key: str
    score: float | None = None
    threshold: float = 0.5
    challenger_score: float | None = None
    challenger_threshold: float = 0.5
    disputed: bool = False


@dataclass(frozen=True)
class Pick:
    index: int  # position in the candidate list
    reason: Reason
    priority: float


def informative_priority(candidate: Candidate) -> tuple[Reason, float] | None:
    """The reason and priority of a candidate worth asking about on its own merits; None if it is not."""
    score = candidate.score
    if candidate.disputed:
        confidence = 0.0 if score is None else abs(score - candidate.threshold)
        return "disputed", 3.0 + confidence
    challenger = candidate.challenger_score
    if score is not None and challenger is not None:
        champion_says = score >= candidate.threshold
        challenger_says = challenger >= candidate.challenger_threshold
        if champion_says != challenger_says:
            return "disagreement", 2.0 + abs(score - challenger)
    if score is not None and not math.isnan(score):
        return "uncertainty", 1.0 - abs(score - candidate.threshold)
    return None


def select_batch(candidates: list[Candidate], policy: QueuePolicy) -> list[Pick]:
    """Choose up to `policy.batch_size` candidates, in the order they should be labelled.

    The informative ones (see the module docstring) fill `1 - random_share` of the batch by priority; the
    rest is drawn uniformly from the remaining candidates (also filling any shortfall of informative ones).
    """
    n = min(policy.batch_size, len(candidates))
    if n == 0:
        return []
    n_random = min(n, round(n * policy.random_share))
    scored = [(i, informative_priority(c)) for i, c in enumerate(candidates)]
    informative = sorted(
        ((i, rp) for i, rp in scored if rp is not None), key=lambda item: (-item[1][1], item[0])
    )[: n - n_random]
    picks = [Pick(index=i, reason=reason, priority=priority) for i, (reason, priority) in informative]
    taken = {pick.index for pick in picks}
    rest = np.array([i for i in range(len(candidates)) if i not in taken], dtype=np.int64)
    rng = np.random.default_rng(policy.seed)
    n_draw = min(n - len(picks), len(rest))
    drawn = rng.choice(rest, size=n_draw, replace=False).tolist() if n_draw else []
    return _interleave(picks, [int(i) for i in drawn])


def _interleave(picks: list[Pick], drawn: list[int]) -> list[Pick]:
    """Spread the random draws evenly through the informative picks (by priority order)."""
    if not drawn:
        return picks
    out: list[Pick] = []
    total = len(picks) + len(drawn)
    every = total / len(drawn)  # one random pick per `every` positions
    queue = iter(picks)
    draws = iter(drawn)
    next_random = every / 2
    priority = picks[0].priority if picks else 0.0
    for position in range(total):
        if position + 0.5 >= next_random and (index := next(draws, None)) is not None:
            out.append(Pick(index=index, reason="random", priority=priority))
            next_random += every
            continue
        pick = next(queue, None)
        if pick is None:  # only random draws remain
            index = next(draws)
            out.append(Pick(index=index, reason="random", priority=priority))
            continue
        out.append(pick)
        priority = pick.priority
    return out
