"""The `train` suite: every model under every protocol, each run as the CLI a user would type."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from closedloop.bench.report import markdown_table

SPAM_RUNS = [("baseline", "random"), ("torch", "random"), ("baseline", "time"), ("torch", "time")]
RECSYS_RUNS = ["popularity", "knn", "torch", "ensemble"]


def _cli(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args, "--json"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"closedloop {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> dict[str, Any]:
    _cli("data", "fetch", "all")
    spam = [_cli("train", "spam", "--model", m, "--split", s) for m, s in SPAM_RUNS]
    recsys = [_cli("train", "recsys", "--model", m) for m in RECSYS_RUNS]
    return {"train_spam": spam, "train_recsys": recsys}


def tables(results: dict[str, Any]) -> str:
    spam_rows = [
        [
            r["model"],
            r["split"],
            r["f1"],
            r["precision"],
            r["recall"],
            r["fpr"],
            r["roc_auc"],
            r["n_train"],
            r["n_test"],
            r["seconds"],
        ]
        for r in results["train_spam"]
    ]
    recsys_rows = [
        [r["model"], r["ndcg@10"], r["recall@10"], r["hit@10"], r["n_train"], r["n_test"], r["seconds"]]
        for r in results["train_recsys"]
    ]
    return (
        "Spam filter (SpamAssassin, de-duplicated; threshold chosen on validation data only):\n\n"
        + markdown_table(
            ["model", "split", "F1", "precision", "recall", "FPR", "ROC AUC", "n_train", "n_test", "seconds"],
            spam_rows,
        )
        + "\n\nRecommender (MovieLens 100K, per-user random 8:1:1, full ranking over unseen items):\n\n"
        + markdown_table(
            ["model", "NDCG@10", "Recall@10", "Hit@10", "n_train", "n_test", "seconds"], recsys_rows
        )
        + "\n"
    )
