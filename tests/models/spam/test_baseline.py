"""TF-IDF + logistic regression: the estimator contract, and behaviour (Made-With-ML style)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from models.spam.baseline import TfidfLogisticSpamModel
from tests.models.spam.factories import SyntheticTask, log_odds


def test_estimator_contract() -> None:
    model = TfidfLogisticSpamModel(C=3.0, min_df=1)
    assert model.get_params()["C"] == 3.0
    assert clone(model).get_params() == model.get_params()
    assert not hasattr(model, "pipeline_")  # __init__ stores parameters, nothing else
    with pytest.raises(NotFittedError):
        model.predict_proba(["hello"])
    assert model.fit(["free money", "meeting notes"] * 3, [1, 0] * 3) is model
    assert list(model.classes_) == [0, 1]


def test_learns_the_synthetic_task(
    fitted_baseline: TfidfLogisticSpamModel, synthetic_task: SyntheticTask
) -> None:
    _, _, test_texts, test_y = synthetic_task
    proba = fitted_baseline.predict_proba(test_texts)
    assert proba.shape == (len(test_texts), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(test_y, proba[:, 1]) > 0.95
    assert (fitted_baseline.predict(test_texts) == test_y).mean() > 0.9


def test_direction_spam_words_raise_spam_probability(fitted_baseline: TfidfLogisticSpamModel) -> None:
    ham = "thanks for the review of the kernel patch, see you at the meeting"
    before, after = log_odds(fitted_baseline.predict_proba([ham, ham + " viagra free money click"])[:, 1])
    assert after > before + 1.0  # odds of spam up more than e-fold (the ham words still outnumber them)


def test_invariance_to_case_spacing_and_unseen_names(fitted_baseline: TfidfLogisticSpamModel) -> None:
    texts = ["free money for you, Zelda", "FREE   money\nfor you, Zelda", "free money for you, Yorick"]
    proba = fitted_baseline.predict_proba(texts)[:, 1]
    np.testing.assert_allclose(proba, proba[0])


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b"], [0], "2 texts but 1 labels"),
        (["a", "b"], [0, 3], "0 \\(ham\\) or 1"),
        (["a", "b"], [1, 1], "both"),
    ],
)
def test_fit_validates_inputs(texts: list[str], labels: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TfidfLogisticSpamModel().fit(texts, labels)
