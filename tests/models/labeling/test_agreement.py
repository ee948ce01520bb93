"""Cohen's kappa against values worked out by hand."""

from __future__ import annotations

import pytest

from models.labeling import cohen_kappa


def test_two_annotators_on_ten_items() -> None:
    # agree on 8 of 10 -> p_o = 0.8; both say 1 six times -> p_e = 0.6*0.6 + 0.4*0.4 = 0.52
    a = [1, 1, 0, 0, 1, 0, 1, 1, 0, 1]
    b = [1, 0, 0, 0, 1, 1, 1, 1, 0, 1]
    assert cohen_kappa(a, b) == pytest.approx((0.8 - 0.52) / (1 - 0.52))  # 0.5833...


def test_textbook_table_of_fifty_items() -> None:
    # yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o = 0.7; A says yes 25/50, B 30/50 -> p_e = 0.5
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_three_categories() -> None:
    # items: (1,1) (1,2) (2,2) (3,3) (3,1) (2,2): p_o = 4/6
    # A: 1 x2, 2 x2, 3 x2; B: 1 x2, 2 x3, 3 x1 -> p_e = (2*2 + 2*3 + 2*1) / 36 = 12/36
    a = [1, 1, 2, 3, 3, 2]
    b = [1, 2, 2, 3, 1, 2]
    assert cohen_kappa(a, b) == pytest.approx((4 / 6 - 1 / 3) / (1 - 1 / 3))  # 0.5


def test_perfect_and_opposite_agreement() -> None:
    assert cohen_kappa([0, 1, 0, 1], [0, 1, 0, 1]) == pytest.approx(1.0)
    assert cohen_kappa([0, 1, 0, 1], [1, 0, 1, 0]) == pytest.approx(-1.0)  # p_o 0, p_e 0.5


def test_undefined_cases_are_none() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) is None  # chance agreement is 1: nothing to correct


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="a label per item"):
        cohen_kappa([1, 0], [1])
