"""The shared loop under torchrun with 2 CPU processes (gloo): the quality of a 1-process run, rank-0
checkpoints that survive a SIGKILL, and a resume (under the same world size only) that ends where the
uninterrupted run ends."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from closedloop.distributed import DistributedRunFailed, run_distributed
from tests.models import ddp_jobs


@pytest.mark.slow  # 2 torchrun launches: ~20 s on a quiet 2-core machine, minutes on a busy one
def test_two_cpu_processes_match_one_process_quality() -> None:
    task = {"seed": 3, "n_train": 600, "n_test": 400}
    one = run_distributed(ddp_jobs.spam_f1, 1, **task)
    two = run_distributed(ddp_jobs.spam_f1, 2, **task)
    assert (one["world"], two["world"]) == (1, 2)  # the second really ran as two replicas
    assert one["f1"] > 0.8  # a model that learned the task, so "the same" means something
    assert abs(two["f1"] - one["f1"]) <= 0.01, (one, two)  # within 1 point of F1
    # The loss is all-reduced: both runs report a falling mean over every replica's batches.
    assert two["train_loss"][-1] < two["train_loss"][0]


@pytest.mark.slow
def test_a_replica_killed_after_a_checkpoint_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    whole = run_distributed(
        ddp_jobs.logistic_run, 2, checkpoint_dir=tmp_path / "whole", resume=False, crash_after_epoch=None
    )
    with pytest.raises(DistributedRunFailed):
        run_distributed(
            ddp_jobs.logistic_run, 2, checkpoint_dir=tmp_path / "crashed", resume=False, crash_after_epoch=1
        )
    saved = torch.load(tmp_path / "crashed" / "last.pt", weights_only=True)
    assert len(saved["history"]) == 2  # rank 0 wrote epochs 0 and 1 before the kill
    assert saved["fingerprint"]["world_size"] == 2
    assert not list((tmp_path / "crashed").glob("*.tmp"))  # one writer, atomic replace: no torn file

    with pytest.raises(DistributedRunFailed):  # a resume under another world size: the replica says so
        run_distributed(
            ddp_jobs.logistic_run, 1, checkpoint_dir=tmp_path / "crashed", resume=True, crash_after_epoch=None
        )

    resumed = run_distributed(
        ddp_jobs.logistic_run, 2, checkpoint_dir=tmp_path / "crashed", resume=True, crash_after_epoch=None
    )
    assert resumed["epochs"] == whole["epochs"] == [0, 1, 2, 3]
    assert resumed["val"] == pytest.approx(whole["val"])
    for name, weights in whole["weights"].items():
        np.testing.assert_allclose(resumed["weights"][name], weights, rtol=1e-6, atol=1e-7)


def test_a_job_that_is_not_picklable_fails_before_any_process_starts() -> None:
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        run_distributed(lambda: None, 2)
    with pytest.raises(ValueError, match="nproc"):
        run_distributed(ddp_jobs.spam_f1, 0, seed=0, n_train=10, n_test=10)
