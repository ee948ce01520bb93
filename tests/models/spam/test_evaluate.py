"""evaluate_spam: the protocol end to end on a small synthetic corpus."""

from __future__ import annotations

import pandas as pd
import pytest

from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.evaluate import evaluate_spam
from models.spam.neural import HashedNgramSpamModel
from tests.models.spam.factories import synthetic_corpus


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return synthetic_corpus(300, seed=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "svm", "split": "time"}, "baseline, torch"),
        ({"model": "baseline", "split": "kfold"}, "time, random"),
    ],
)
def test_unknown_model_or_split_names_the_choices(
    corpus: pd.DataFrame, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_spam(corpus, **kwargs)


def test_frame_without_corpus_columns_is_rejected(corpus: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="body"):
        evaluate_spam(corpus.drop(columns="body"), model="baseline", split="time")


def test_baseline_time_protocol(corpus: pd.DataFrame) -> None:
    result = evaluate_spam(corpus, model="baseline", split="time")
    metrics = result.metrics
    assert {"f1", "precision", "recall", "fpr", "roc_auc", "threshold", "n_train", "n_val", "n_test"} <= set(
        metrics
    )
    assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (
        178,
        32,
        90,
    )  # 300 -> 210/90 -> 178/32
    assert metrics["f1"] > 0.8 and metrics["roc_auc"] > 0.9
    assert isinstance(result.model, TfidfLogisticSpamModel)
    assert result.threshold == metrics["threshold"]
    # The test set is the latest 30 % of mail.
    test_dates = corpus.set_index("message_id").loc[result.predictions["message_id"], "date"]
    assert test_dates.min() > corpus["date"].sort_values().iloc[209]


def test_threshold_is_chosen_without_looking_at_the_test_set(corpus: pd.DataFrame) -> None:
    first = evaluate_spam(corpus, model="baseline", split="time")
    sabotaged = corpus.copy()
    in_test = sabotaged["message_id"].isin(first.predictions["message_id"])
    sabotaged.loc[in_test, "label"] = 1 - sabotaged.loc[in_test, "label"]  # every test label wrong
    second = evaluate_spam(sabotaged, model="baseline", split="time")
    assert second.threshold == first.threshold
    assert second.metrics["f1"] < 0.5 < first.metrics["f1"]  # the test labels only ever reach the score


def test_torch_random_protocol(corpus: pd.DataFrame) -> None:
    result = evaluate_spam(corpus, model="torch", split="random", seed=1)
    assert isinstance(result.model, HashedNgramSpamModel)
    assert result.model.seed == 1
    assert result.metrics["roc_auc"] > 0.9
    assert result.predictions["label"].mean() == pytest.approx(corpus["label"].mean(), abs=0.02)  # stratified
