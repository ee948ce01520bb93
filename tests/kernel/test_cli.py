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
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_help_lists_the_commands(home: Path):
    done = run_cli("--help", home=home)
    assert done.returncode == 0
    assert "data" in done.stdout and "train" in done.stdout


HEAVY = ("mlflow", "torch", "prefect", "sklearn")
# Model code a kind's hooks import when they run (training, evaluation, a report), never when a kind is named.
MODEL_LIBRARIES = ("torch", "sklearn", "scipy.stats")


def _imported_after(code: str, libraries: tuple[str, ...], home: Path) -> tuple[str, list[str]]:
    """Run `code` in a fresh interpreter; (its output, the `libraries` it left imported)."""
    left = f"sorted(m for m in {libraries!r} if m in sys.modules)"
    probe = f"import json, sys\n{code}\nprint(json.dumps({left}))\n"
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    *output, imported = done.stdout.strip().splitlines()
    return "\n".join(output), json.loads(imported)


def test_help_imports_no_heavy_library(home: Path):
    """`closedloop --help` answers without MLflow, torch, Prefect or scikit-learn: commands import lazily."""
    code = (
        "sys.argv = ['closedloop', '--help']\n"
        "from cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    output, imported = _imported_after(code, HEAVY, home)
    assert "Commands" in output
    assert imported == []


def test_naming_the_registered_kinds_imports_no_model_library(home: Path):
    """Every command that takes a KIND loads the registered kinds; that costs no torch, scikit-learn or
    scipy.stats import (seconds each on a small machine): `closedloop models list spam` stays quick."""
    code = "from closedloop.kinds import kinds\nprint([k.name for k in kinds()])"
    output, imported = _imported_after(code, MODEL_LIBRARIES, home)
    assert output.splitlines()[-1] == "['spam', 'recsys']"
    assert imported == []


def test_the_console_script_runs_the_same_cli(home: Path):
    script = Path(sys.executable).with_name("closedloop")
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home)}
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "retrain" in done.stdout


def test_an_unknown_kind_lists_the_registered_ones(home: Path):
    for command in (["retrain", "gpt"], ["models", "list", "gpt"], ["data", "fetch", "gpt"]):
        done = run_cli(*command, home=home)
        assert done.returncode == 2, command
        message = " ".join(done.stderr.replace("│", " ").split())  # the error panel wraps at 80 columns
        assert "unknown model kind 'gpt'; registered kinds: spam, recsys" in message, command
        assert "Traceback" not in done.stderr


def test_train_help_lists_each_kinds_models_and_protocol_options(home: Path):
    done = run_cli("train", "--help", home=home)
    assert done.returncode == 0
    assert "--split time|random" in done.stdout and "popularity|knn|torch|ensemble" in done.stdout


def test_a_protocol_option_the_kind_lacks_is_refused(home: Path):
    done = run_cli("train", "recsys", "--split", "time", home=home)
    assert done.returncode == 2
    assert "no option --split" in done.stderr and "Traceback" not in done.stderr


def test_unknown_model_is_rejected_with_the_choices(home: Path):
    done = run_cli("train", "spam", "--model", "gpt", home=home)
    assert done.returncode == 2
    assert "baseline" in done.stderr and "torch" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_corpus_names_the_fix(home: Path):
    done = run_cli("train", "recsys", "--model", "popularity", home=home)
    assert done.returncode == 2
    assert "closedloop data fetch recsys" in done.stderr
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


def test_the_fast_replay_table_shows_the_headline_rates_each_kind_reports():
    from cli.simulate_report import metric_columns

    spam = {"n": 10, "tp": 3, "fp": 1, "fn": 1, "tn": 5, "f1": 0.75, "fpr": 0.1667, "precision": 0.75}
    assert metric_columns(spam) == ["f1", "fpr"]
    assert metric_columns({"n": 40, "ndcg@10": 0.31, "hit@10": 0.6}) == ["ndcg@10", "hit@10"]
