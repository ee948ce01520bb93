"""Live quality from reactions: which lists count as answered and as hits, where the first hit sits, and the
figures over answered lists (CTR over all)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.recsys.reactions import COUNTS, list_outcomes, quality

LISTS = pd.Series(
    {"rated": [1, 2, 3], "clicked": [4, 5], "dismissed": [6, 7], "silent": [8], "elsewhere": [9, 10]}
)


def reactions(*rows: tuple[str, int, bool, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["prediction_id", "item_id", "positive", "kind"])


def test_any_positive_reaction_on_a_listed_item_is_a_hit_at_its_rank():
    outcomes = list_outcomes(
        LISTS,
        reactions(
            ("rated", 1, False, "rating"),  # 2 stars on the top item: an answer, not a hit
            ("rated", 3, True, "rating"),  # 4 stars on the third: the hit
            ("clicked", 5, True, "click"),
            ("dismissed", 6, False, "dismiss"),
            ("elsewhere", 11, True, "rating"),  # liked, but not an item of this list
            ("unknown", 1, True, "click"),  # another prediction's: ignored
        ),
    )
    assert list(outcomes.columns) == list(COUNTS) and list(outcomes.index) == list(LISTS.index)
    assert outcomes["answered"].tolist() == [1, 1, 1, 0, 1]
    assert outcomes["hits"].tolist() == [1, 1, 0, 0, 0]
    assert outcomes["clicked"].tolist() == [0, 1, 0, 0, 0]
    assert outcomes["reciprocal_ranks"].tolist() == [1 / 3, 1 / 2, 0.0, 0.0, 0.0]
    assert outcomes["gains"].tolist() == pytest.approx([1 / math.log2(4), 1 / math.log2(3), 0, 0, 0])


def test_the_best_placed_positive_reaction_ranks_the_list():
    outcomes = list_outcomes(
        LISTS[["rated"]], reactions(("rated", 3, True, "rating"), ("rated", 2, True, "click"))
    )
    assert outcomes.loc["rated", "reciprocal_ranks"] == 0.5


def test_quality_is_over_answered_lists_and_ctr_over_all():
    outcomes = list_outcomes(
        LISTS,
        reactions(
            ("rated", 3, True, "rating"), ("clicked", 5, True, "click"), ("dismissed", 7, False, "dismiss")
        ),
    )
    figures = quality(outcomes.sum().to_dict())
    assert figures["hit_rate"] == pytest.approx(2 / 3)
    assert figures["mrr"] == pytest.approx((1 / 3 + 1 / 2) / 3)
    assert figures["ndcg"] == pytest.approx((1 / math.log2(4) + 1 / math.log2(3)) / 3)
    assert figures["ctr"] == pytest.approx(1 / 5)
    nothing = quality(list_outcomes(LISTS, reactions()).sum().to_dict())
    assert nothing == {"hit_rate": None, "mrr": None, "ndcg": None, "ctr": 0.0}
    assert set(quality(dict.fromkeys(COUNTS, 0)).values()) == {None}
