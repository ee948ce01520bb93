"""The command line as a user meets it: a subprocess, exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import apache_spam_corpus


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "closedloop", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_help_lists_the_commands(home: Path):
    done = run_cli("--help", home=home)
    assert done.returncode == 0
    assert "data" in done.stdout and "train" in done.stdout


def test_unknown_model_is_rejected_with_the_choices(home: Path):
    done = run_cli("train", "spam", "--model", "gpt", home=home)
    assert done.returncode == 2
    assert "baseline" in done.stderr and "torch" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_corpus_names_the_fix(home: Path):
    done = run_cli("train", "recsys", "--model", "popularity", home=home)
    assert done.returncode == 2
    assert "closedloop data fetch movielens" in done.stderr
    assert "Traceback" not in done.stderr


def test_fetch_from_local_originals_then_train_prints_json(home: Path, tmp_path: Path):
    originals = apache_spam_corpus(tmp_path / "originals", n_ham=40, n_spam=30, duplicates=0)
    fetched = run_cli("data", "fetch", "spam", "--from", str(originals), "--json", home=home)
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["spam"]["counts"]["messages"] == 70

    trained = run_cli("train", "spam", "--model", "baseline", "--split", "random", "--json", home=home)
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert {"f1", "precision", "recall", "fpr", "roc_auc", "n_train", "n_test", "seconds"} <= report.keys()
    assert report["n_test"] == 21  # 30 % of 70 messages
    assert 0.0 <= report["f1"] <= 1.0
