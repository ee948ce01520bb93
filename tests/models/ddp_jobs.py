"""Jobs the distributed-training tests run under torchrun (`run_distributed`): module-level functions, so each
replica can import them by name. They build their data from a seed, so every replica builds the same."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from models.training import EpochRecord, TrainConfig, train_module
from models.training.distributed import Replicas
from tests.models.spam.factories import small_torch_model, synthetic_texts


def spam_f1(*, seed: int, n_train: int, n_test: int) -> dict[str, Any]:
    """The real spam network and loop on a synthetic text task: test F1, epochs run and the world size."""
    texts, labels = synthetic_texts(n_train, seed=seed)
    val_texts, val_labels = synthetic_texts(n_test // 2, seed=seed + 1)
    test_texts, test_labels = synthetic_texts(n_test, seed=seed + 2)
    model = small_torch_model(seed=seed, patience=3, max_epochs=8)  # batch 32: 16 per replica
    model.fit(texts, labels, eval_set=(val_texts, val_labels))
    return {
        "f1": float(f1_score(test_labels, model.predict(test_texts))),
        "epochs": len(model.history_.epochs),
        "train_loss": [r.train_loss for r in model.history_.epochs],
        "world": Replicas.current().world,
    }


def logistic_run(*, checkpoint_dir: Path, resume: bool, crash_after_epoch: int | None) -> dict[str, Any]:
    """A logistic regression through the shared loop, checkpointing every epoch; with `crash_after_epoch`
    every replica SIGKILLs itself once that epoch's checkpoint is written (a crash, not a clean exit)."""
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(256, 8)).astype(np.float32))  # (rows, features)
    y = (x @ torch.arange(1.0, 9.0) > 0).float()  # (rows,)
    torch.manual_seed(0)
    net = nn.Linear(8, 1)

    def make_batches(order_rng: np.random.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.from_numpy(order_rng.permutation(256))
        return [(x[order[i : i + 32]], y[order[i : i + 32]]) for i in range(0, 256, 32)]

    def loss_fn(module: nn.Module, batch: Any) -> torch.Tensor:
        features, targets = batch
        return nn.functional.binary_cross_entropy_with_logits(module(features).squeeze(-1), targets)

    def validate(module: nn.Module) -> float:
        return float(((module(x).squeeze(-1) > 0).float() == y).float().mean())

    def crash(record: EpochRecord) -> None:
        if record.epoch == crash_after_epoch:
            os.kill(os.getpid(), signal.SIGKILL)

    config = TrainConfig(
        max_epochs=4, patience=0, device="cpu", progress=False, checkpoint_dir=checkpoint_dir, resume=resume
    )
    history = train_module(
        net, make_batches=make_batches, steps_per_epoch=8, loss_fn=loss_fn, validate=validate, config=config,
        on_epoch_end=crash if crash_after_epoch is not None else None,
    )  # fmt: skip
    return {
        "weights": {k: v.numpy().copy() for k, v in net.state_dict().items()},
        "epochs": [r.epoch for r in history.epochs],
        "val": [r.val_score for r in history.epochs],
    }
