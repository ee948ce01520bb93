"""The `scoring` suite: what one real input costs a kind's model to score, scikit-learn's featurisation
against the compiled scorer, with validation F1 and ROC AUC of each on every split of the kind's evaluation
protocol (test is never scored). Both score the same validation inputs, taking turns, in the same run; the
kind hands over the figures (`scoring_cost`)."""

from __future__ import annotations

import os
import statistics
from typing import Any

from bench.contract import measured
from bench.report import markdown_table
from closedloop.settings import get_settings

BATCH = 8  # the batch figure's size (the kind's `ms_batch_8`)
WAYS = {"sklearn": "scikit-learn Pipeline.predict_proba", "compiled": "compiled scorer (default)"}


def run(only: str | None = None) -> dict[str, Any]:
    """The first kind taking part (or `only`): its model fitted on each protocol split, validation inputs
    scored both ways."""
    found, parts = measured("scoring", only)
    load_before = os.getloadavg()[0]
    splits = parts.scoring_cost(get_settings())
    return {
        "scoring": {
            "model": found.name,
            "title": found.config.title,
            "splits": splits,
            "load_1min": [load_before, os.getloadavg()[0]],
        }
    }


def mean_over_splits(splits: dict[str, dict[str, Any]], way: str, key: str) -> float:
    """Mean of one figure of one way of scoring over the splits measured."""
    return statistics.fmean(split[way][key] for split in splits.values())


def tables(results: dict[str, Any]) -> str:
    r = results["scoring"]
    splits = r["splits"]
    rows = [
        [
            label,
            mean_over_splits(splits, way, "f1"),
            mean_over_splits(splits, way, "roc_auc"),
            mean_over_splits(splits, way, "ms_batch_1"),
            mean_over_splits(splits, way, f"ms_batch_{BATCH}"),
        ]
        for way, label in WAYS.items()
    ]
    summary = markdown_table(
        [
            "scoring",
            "validation F1",
            "validation ROC AUC",
            "ms/message, one at a time",
            f"ms/message, batches of {BATCH}",
        ],
        rows,
    )
    per_split = markdown_table(
        ["split", "n_val", "F1 sklearn", "F1 compiled", "max |Δprobability|", "ms sklearn", "ms compiled"],
        [
            [
                name,
                s["n_val"],
                s["sklearn"]["f1"],
                s["compiled"]["f1"],
                f"{s['max_abs_probability_difference']:.1e}",
                s["sklearn"]["ms_batch_1"],
                s["compiled"]["ms_batch_1"],
            ]
            for name, s in splits.items()
        ],
    )
    chars = [s["median_chars_timed"] for s in splits.values()]
    load = r["load_1min"]
    return (
        f"{r.get('title', 'Spam filter')}, baseline scoring a real input (`python -m bench --only scoring`): "
        f"means over the "
        f"evaluation protocol's validation sets (random split seeds 0–4 and the time split; test never "
        f"scored), the same fitted model scoring the same messages both ways, taking turns; medians of the "
        f"first 200 validation messages of each split (median {min(chars):,.0f}–{max(chars):,.0f} "
        f"characters). 1-minute load average {load[0]:.1f} → {load[1]:.1f} (the machine was shared while "
        f"measured).\n\n"
        f"{summary}\n\nPer split:\n\n{per_split}\n"
    )
