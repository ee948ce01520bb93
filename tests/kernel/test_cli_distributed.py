"""`closedloop train ... --nproc N` as a user runs it: torchrun replicas (gloo on this CPU-only machine), the
same quality as one process, rank-0 checkpoints that `--resume` continues, and a clear refusal for a model
that does not train data-parallel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import synthetic_spam_corpus
from tests.kernel.test_cli import run_cli


def train_json(*args: str, home: Path) -> dict[str, object]:
    done = run_cli("train", *args, "--json", home=home)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_nproc_is_refused_for_a_model_without_the_torch_loop(home: Path):
    done = run_cli("train", "spam", "--model", "baseline", "--nproc", "2", home=home)
    assert done.returncode == 2
    assert "does not train data-parallel" in done.stderr and "torch" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.timeout(1200)  # 4 CLI runs, 2 under torchrun: ~1 min on a quiet machine, > 600 s on a busy one
def test_train_on_two_processes_matches_one_and_resumes_its_checkpoint(home: Path, tmp_path: Path):
    corpus = synthetic_spam_corpus(tmp_path / "corpus", n_ham=300, n_spam=150)
    fetched = run_cli("data", "fetch", "spam", "--from", str(corpus), home=home)
    assert fetched.returncode == 0, fetched.stderr
    protocol = ("spam", "--model", "torch", "--split", "random")

    one = train_json(*protocol, home=home)
    checkpoints = tmp_path / "ckpt"
    two = train_json(*protocol, "--nproc", "2", "--checkpoint-dir", str(checkpoints), home=home)
    assert (one["nproc"], two["nproc"]) == (1, 2)
    assert one["f1"] > 0.8
    assert abs(float(two["f1"]) - float(one["f1"])) <= 0.01, (one, two)  # within 1 point of F1
    assert (checkpoints / "last.pt").exists()  # rank 0's checkpoint

    resumed = train_json(
        *protocol, "--nproc", "2", "--checkpoint-dir", str(checkpoints), "--resume", home=home
    )
    assert resumed["f1"] == two["f1"] and resumed["roc_auc"] == two["roc_auc"]
