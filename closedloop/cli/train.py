"""`closedloop train`: fit and evaluate one model on the real corpus under a fixed protocol, print metrics."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from closedloop import corpora
from closedloop.cli.output import emit_json, emit_table
from closedloop.settings import get_settings

app = typer.Typer(help="Train and evaluate a model under a fixed protocol.", no_args_is_help=True)


class SpamModel(StrEnum):
    baseline = "baseline"
    torch = "torch"


class SpamSplit(StrEnum):
    time = "time"
    random = "random"


class RecsysModel(StrEnum):
    popularity = "popularity"
    knn = "knn"
    torch = "torch"
    ensemble = "ensemble"


def _report(kind: str, metrics: dict[str, Any], started: float, as_json: bool) -> None:
    payload = {"corpus": kind, **metrics, "seconds": round(time.perf_counter() - started, 2)}
    if as_json:
        emit_json(payload)
    else:
        emit_table(f"closedloop train {kind}", payload)


Seed = Annotated[int, typer.Option(help="Seed for the split and the model.")]
CheckpointDir = Annotated[Path | None, typer.Option(help="torch: write a checkpoint every epoch here.")]
Resume = Annotated[bool, typer.Option("--resume", help="torch: continue exactly from --checkpoint-dir.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command()
def spam(
    model: SpamModel = typer.Option(
        SpamModel.baseline, help="baseline: TF-IDF + logistic regression; torch."
    ),
    split: SpamSplit = typer.Option(
        SpamSplit.time, help="time: train on the oldest 70 %; random: stratified."
    ),
    seed: Seed = 0,
    checkpoint_dir: CheckpointDir = None,
    resume: Resume = False,
    as_json: AsJson = False,
) -> None:
    """Train the spam filter and report F1, precision, recall, FPR and ROC AUC on the test split."""
    from models.spam.evaluate import evaluate_spam

    settings = get_settings()
    messages = corpora.load_spam(settings)
    started = time.perf_counter()
    result = evaluate_spam(
        messages,
        model=model.value,
        split=split.value,
        seed=seed,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
    )
    _report("spam", {"model": model.value, "split": split.value, **result.metrics}, started, as_json)


@app.command()
def recsys(
    model: RecsysModel = typer.Option(
        RecsysModel.knn, help="popularity; knn: the strong classical model; torch; ensemble: knn + torch."
    ),
    seed: Seed = 0,
    checkpoint_dir: CheckpointDir = None,
    resume: Resume = False,
    as_json: AsJson = False,
) -> None:
    """Train the recommender and report NDCG@10, Recall@10 and Hit@10 with full ranking on the test split."""
    from models.recsys.evaluate import evaluate_recsys

    settings = get_settings()
    movielens = corpora.load_movielens(settings)
    started = time.perf_counter()
    result = evaluate_recsys(
        movielens, model=model.value, seed=seed, checkpoint_dir=checkpoint_dir, resume=resume
    )
    _report("recsys", {"model": model.value, **result.metrics}, started, as_json)
