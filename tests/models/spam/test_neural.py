"""The hashed n-gram EmbeddingBag model: learns, is reproducible, serves on CPU after a pickle round trip."""

from __future__ import annotations

import pickle
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from models.spam.neural import HashedNgramSpamModel
from tests.models.spam.factories import SyntheticTask, log_odds, small_torch_model


def test_training_loss_decreases_and_beats_chance(
    fitted_torch: HashedNgramSpamModel, synthetic_task: SyntheticTask
) -> None:
    losses = [epoch.train_loss for epoch in fitted_torch.history_.epochs]
    assert len(losses) == 8
    assert losses[-1] < 0.5 * losses[0]
    _, _, test_texts, test_y = synthetic_task
    proba = fitted_torch.predict_proba(test_texts)
    assert proba.shape == (len(test_texts), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert roc_auc_score(test_y, proba[:, 1]) > 0.9  # chance is 0.5


def test_direction_spam_words_raise_spam_probability(fitted_torch: HashedNgramSpamModel) -> None:
    ham = "thanks for the review of the kernel patch see you at the meeting"
    before, after = log_odds(fitted_torch.predict_proba([ham, ham + " viagra free money click"])[:, 1])
    assert after > before + 1.0  # odds of spam up more than e-fold (the ham words still outnumber them)


def test_estimator_contract_and_cpu_pickle_round_trip(fitted_torch: HashedNgramSpamModel) -> None:
    assert clone(fitted_torch).get_params() == fitted_torch.get_params()
    assert not hasattr(clone(fitted_torch), "module_")
    assert list(fitted_torch.classes_) == [0, 1]
    assert all(p.device.type == "cpu" for p in fitted_torch.module_.parameters())
    texts = ["free money click now", "kernel patch review", ""]
    expected = fitted_torch.predict_proba(texts)
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        np.testing.assert_array_equal(loads(dumps(fitted_torch)).predict_proba(texts), expected)


def test_same_seed_same_model(synthetic_task: SyntheticTask) -> None:
    texts, labels, test_texts, _ = synthetic_task
    first = small_torch_model(max_epochs=1).fit(texts, labels).predict_proba(test_texts)
    second = small_torch_model(max_epochs=1).fit(texts, labels).predict_proba(test_texts)
    np.testing.assert_array_equal(first, second)


def test_eval_set_drives_early_stopping_and_checkpoints(
    synthetic_task: SyntheticTask, tmp_path: Path
) -> None:
    texts, labels, test_texts, test_y = synthetic_task
    model = small_torch_model(max_epochs=2, checkpoint_dir=tmp_path).fit(
        texts, labels, eval_set=(test_texts, test_y)
    )
    scores = [epoch.val_score for epoch in model.history_.epochs]
    best = model.history_.best_epoch
    assert scores[best] == max(scores)
    assert scores[best] == pytest.approx(
        roc_auc_score(test_y, model.predict_proba(test_texts)[:, 1]), abs=1e-6
    )
    assert (tmp_path / "last.pt").exists()


def test_rare_ngrams_get_no_embedding_row(synthetic_task: SyntheticTask) -> None:
    texts, labels, _, _ = synthetic_task
    # 2**20 buckets: no hash collision may smuggle a kept bucket into the texts below.
    model = small_torch_model(max_epochs=1, min_df=2, n_buckets=2**20).fit(
        [*texts, "uniqueword"], [*labels, 0]
    )
    assert model.module_.embed.num_embeddings == int((model.bags_.rows_ >= 0).sum()) == len(model.bags_.idf_)
    # A text of rare or unseen words has an empty bag: only the bias speaks, as for the empty text.
    unseen = model.predict_proba(["uniqueword", "neverseen", ""])[:, 1]
    assert unseen[0] == unseen[1] == unseen[2]


def test_bad_weighting_is_rejected() -> None:
    with pytest.raises(ValueError, match="weighting"):
        small_torch_model(weighting="max").fit(["a b", "c d"] * 5, [0, 1] * 5)
