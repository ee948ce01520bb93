"""Mult-DAE through the shared loop: it learns, beats popularity on structured data, and serves from CPU."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from models.recsys.metrics import evaluate_ranking
from models.recsys.neural import AutoencoderConfig, AutoencoderRecommender
from models.recsys.popularity import PopularityRecommender
from models.recsys.splits import RatingSplit, split_ratings
from tests.models.recsys.conftest import block_ratings

SMALL = AutoencoderConfig(hidden=32, batch_size=16, max_epochs=12, lr=1e-2, patience=0, device="cpu")


@pytest.fixture(scope="module")
def blocks() -> RatingSplit:
    return split_ratings(block_ratings(seed=1), seed=0)


@pytest.fixture(scope="module")
def fitted(blocks: RatingSplit) -> AutoencoderRecommender:
    return AutoencoderRecommender(SMALL, seed=0, progress=False).fit(blocks.train, valid=blocks.valid)


def test_training_loss_decreases(fitted: AutoencoderRecommender) -> None:
    losses = [epoch.train_loss for epoch in fitted.history_.epochs]
    assert len(losses) == SMALL.max_epochs  # patience 0: no early stop
    assert losses[-1] < 0.8 * losses[0]


def test_beats_popularity_on_block_structure(blocks: RatingSplit, fitted: AutoencoderRecommender) -> None:
    popularity = PopularityRecommender().fit(blocks.train)
    ndcg = {
        name: evaluate_ranking(model, blocks.train, blocks.test, exclude=[blocks.valid]).metrics["ndcg@10"]
        for name, model in (("dae", fitted), ("popularity", popularity))
    }
    # Popularity cannot tell the four blocks apart; the autoencoder should rank in-block items first.
    assert ndcg["dae"] > ndcg["popularity"] + 0.2, ndcg
    assert 0 <= fitted.history_.best_epoch < SMALL.max_epochs
    assert fitted.history_.best_score == pytest.approx(
        evaluate_ranking(fitted, blocks.train, blocks.valid).metrics["ndcg@10"]
    )  # the restored weights are the ones that scored best on valid


def test_recommends_in_block_and_serves_from_cpu_after_pickling(fitted: AutoencoderRecommender) -> None:
    assert all(p.device.type == "cpu" for p in fitted.module_.parameters())
    assert not fitted.module_.training
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.score_users([1, 31]), fitted.score_users([1, 31]), rtol=1e-6)
    ids, _ = restored.recommend(1, k=3)  # user 1 is in block 0: items 1..12
    assert np.all((ids >= 1) & (ids <= 12)), ids


def test_same_seed_same_model_and_training_fit_selects_without_valid(blocks: RatingSplit) -> None:
    config = AutoencoderConfig(hidden=16, batch_size=32, max_epochs=4, lr=1e-2, patience=0, device="cpu")
    a = AutoencoderRecommender(config, seed=3, progress=False).fit(blocks.train)
    torch.set_num_threads(2)  # the fit pins torch to config.cpu_threads (1) and must put this back
    b = AutoencoderRecommender(config, seed=3, progress=False).fit(blocks.train)
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)
    np.testing.assert_array_equal(a.score_users([1, 2]), b.score_users([1, 2]))
    # Without valid the score is the training log-likelihood (dropout off) of the kept weights.
    scores = [epoch.val_score for epoch in a.history_.epochs]
    assert all(s < 0 for s in scores) and a.history_.best_score == max(scores)
    assert a._log_likelihood(np.arange(len(a.users_))) == pytest.approx(a.history_.best_score, rel=1e-5)


def test_checkpoint_resume_reproduces_the_run(blocks: RatingSplit, tmp_path: Path) -> None:
    config = AutoencoderConfig(hidden=16, batch_size=32, max_epochs=3, lr=1e-2, device="cpu")
    first = AutoencoderRecommender(config, seed=1, progress=False, checkpoint_dir=tmp_path)
    first.fit(blocks.train, valid=blocks.valid)
    assert (tmp_path / "last.pt").is_file()
    resumed = AutoencoderRecommender(config, seed=1, progress=False, checkpoint_dir=tmp_path, resume=True)
    resumed.fit(blocks.train, valid=blocks.valid)  # every epoch is in the checkpoint: restores the best
    np.testing.assert_array_equal(resumed.score_users([1, 40]), first.score_users([1, 40]))
    assert len(resumed.history_.epochs) == config.max_epochs
