"""TF-IDF + logistic regression: the estimator contract, and behaviour (Made-With-ML style)."""

from __future__ import annotations

import pickle

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
    assert proba[1] == pytest.approx(proba[0], abs=1e-12)  # case and whitespace: identical features
    # A name seen in no training text moves the score only through char n-grams it shares with the
    # vocabulary ("or", "ick"): a nudge, never a different verdict.
    assert proba[2] == pytest.approx(proba[0], abs=0.01)


def test_char_view_reads_only_the_head_of_a_text() -> None:
    model = TfidfLogisticSpamModel(min_df=1, char_max_chars=10).fit(
        ["free money now", "kernel patch"] * 3, [1, 0] * 3
    )
    char_view = model.pipeline_.named_steps["tfidf"].transformer_list[1][1]
    head, tail = "kernel pat", " free money now"
    np.testing.assert_array_equal(
        char_view.transform([head + tail]).toarray(), char_view.transform([head]).toarray()
    )
    texts = ["free money café", "kernel patch"]
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(model)).predict_proba(texts), model.predict_proba(texts)
    )


def test_accents_and_word_only_configuration(fitted_baseline: TfidfLogisticSpamModel) -> None:
    proba = fitted_baseline.predict_proba(["free money café", "free money cafe"])[:, 1]
    assert proba[0] == pytest.approx(proba[1])  # strip_accents: "café" and "cafe" are one token
    words_only = TfidfLogisticSpamModel(min_df=1, char_ngram_range=None).fit(
        ["free money", "patch"] * 3, [1, 0] * 3
    )
    assert len(words_only.pipeline_.named_steps["tfidf"].transformer_list) == 1


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
