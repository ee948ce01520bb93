"""The driver's side of a kind's replay: every shipped kind hands over a replay of the expected shape, lazily,
and the generic parts (lookup, slips, users) behave the same for any kind."""

from __future__ import annotations

import pytest

from closedloop.kinds import kind, kinds
from closedloop.settings import Settings
from replay import POLICIES, KindReplay, NoReplay, kind_replay, replays
from replay.annotators import other_side
from replay.users import SimulatedUsers


def test_every_shipped_kind_has_a_replay_of_the_drivers_shape(settings: Settings):
    found = replays(settings)  # no corpus fetched: making a replay reads nothing yet
    assert list(found) == [k.name for k in kinds()]
    for _kind, plan in found.values():
        assert isinstance(plan, KindReplay)
        assert plan.policies[0] == "frozen" and set(plan.policies) <= set(POLICIES)
        assert plan.metric == plan.metrics[0]


def test_fold_in_only_is_a_policy_of_the_kind_that_folds_in(settings: Settings):
    assert "foldin" in kind("recsys").replay(settings).policies
    assert "foldin" not in kind("spam").replay(settings).policies


def test_an_unknown_model_names_the_kinds_that_replay(settings: Settings):
    with pytest.raises(NoReplay, match="'images'; choose spam or recsys"):
        kind_replay("images", settings)
    assert kind_replay("spam-filter", settings)[0].name == "spam"  # the registered name works too


@pytest.mark.parametrize(
    ("model", "answer", "slip"),
    [("spam", 1, 0), ("spam", 0, 1), ("recsys", 4, 1), ("recsys", 3, 1), ("recsys", 2, 4), ("recsys", 1, 4)],
)
def test_a_slip_lands_on_the_other_side_of_the_decision(model: str, answer: int, slip: int):
    assert other_side(kind(model).config.task, answer) == slip


def test_simulated_users_draw_the_same_from_the_same_seed():
    first, second = SimulatedUsers(0.5, 0.2, seed=7), SimulatedUsers(0.5, 0.2, seed=7)
    draws = [(u.responds(), u.errs(), u.pick(50)) for u in (first, first, first)]
    assert draws == [(u.responds(), u.errs(), u.pick(50)) for u in (second, second, second)]
    with pytest.raises(ValueError, match="wrong_share"):
        SimulatedUsers(0.5, 1.5)
