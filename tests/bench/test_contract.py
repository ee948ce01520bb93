"""The benchmark suites ask the kinds: which take part, what each hands over, and how a suite's table reads
from a kind's parts — without running a suite."""

from __future__ import annotations

import pytest

from bench import training
from bench.__main__ import SUITES
from bench.contract import KindBenchmarks, NotMeasured, measured, taking_part
from closedloop.kinds import kinds


def test_every_shipped_kind_takes_part_in_known_suites_with_the_expected_shape():
    for found in kinds():
        parts = found.benchmarks()
        assert isinstance(parts, KindBenchmarks)
        assert parts.suites <= set(SUITES)
        assert all(header and key for header, key in parts.training_columns)


def test_a_suite_with_one_figure_measures_the_first_kind_taking_part_unless_told():
    assert [found.name for found, _ in taking_part("train")] == [found.name for found in kinds()]
    assert measured("loop")[0].name == "spam"
    assert measured("serving", "recommender")[0].name == "recsys"  # the registered name works too
    with pytest.raises(NotMeasured, match="kinds that do: spam"):
        measured("labeling", "recsys")


def test_the_train_table_reads_each_kinds_columns_under_its_caption():
    runs = {
        "train_spam": [{"model": "baseline", "split": "time", "f1": 0.9, "precision": 0.9, "recall": 0.9,
                        "fpr": 0.01, "roc_auc": 0.99, "n_train": 10, "n_test": 5, "seconds": 1.0}],
        "train_recsys": [{"model": "knn", "ndcg@10": 0.3, "recall@10": 0.2, "hit@10": 0.6, "n_train": 10,
                          "n_test": 5, "seconds": 2.0}],
    }  # fmt: skip
    text = training.tables(runs)
    spam, recsys = text.split("\n\nRecommender")
    assert spam.startswith("Spam filter (SpamAssassin") and "| model | split | F1 |" in spam
    assert "| knn | 0.300 | 0.200 | 0.600 | 10 | 5 | 2.000 |" in recsys and text.endswith("|\n")
