"""The `replay` suite: `closedloop simulate spam|recsys --fast --json` on the real corpora, as a user runs it:
the frozen first champion against the loop (clean feedback) and the loop with wrong reports plus consensus
labeling, scored prequentially over the later part of each corpus."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from closedloop.bench.report import markdown_table

POLICY_LABELS = {
    "frozen": "frozen first champion",
    "loop": "loop, clean feedback",
    "loop_noisy": "loop, 20 % wrong reports + consensus labeling",
}


def _simulate(model: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "closedloop", "simulate", model, "--fast", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"closedloop simulate {model} --fast failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "wall_seconds": round(time.perf_counter() - started, 1)}


def run() -> dict[str, Any]:
    """Both corpora, one subprocess each (the corpora must be fetched: `closedloop data fetch all`)."""
    subprocess.run([sys.executable, "-m", "closedloop", "data", "fetch", "all"], check=True)
    return {"replay_spam": _simulate("spam"), "replay_recsys": _simulate("recsys")}


def _points(value: float) -> str:
    return f"{100 * value:.1f}"


def _spam_tables(result: dict[str, Any]) -> str:
    policies = result["policies"]
    header = ["chunk", "messages", *(f"{POLICY_LABELS[p]}: F1 / FPR (version)" for p in policies)]
    rows = []
    for i, size in enumerate(result["chunks"]):
        chunk = [p["per_chunk"][i] for p in policies.values()]
        cells = [f"{_points(c['f1'])} / {_points(c['fpr'])} (v{c['version']})" for c in chunk]
        rows.append([i + 1, size, *cells])
    rows.append(
        [
            "whole stream",
            result["stream"],
            *(
                f"**{_points(p['overall']['f1'])} / {_points(p['overall']['fpr'])}**"
                for p in policies.values()
            ),
        ]
    )
    targets = result["targets"]
    met = targets["met"]
    summary = [
        [
            "loop − frozen, F1 points (target ≥ 10)",
            targets["loop_minus_frozen_f1_points"],
            _yes(met["loop_gain_ge_10"]),
        ],
        ["loop FPR, % (target ≤ 1)", _points(targets["loop_fpr"]), _yes(met["loop_fpr_le_1pct"])],
        [
            "noisy loop − frozen, F1 points (target ≥ 8)",
            targets["noisy_minus_frozen_f1_points"],
            _yes(met["noisy_gain_ge_8"]),
        ],
    ]
    empty = [
        str(i + 1) for i, row in enumerate(policies["frozen"]["per_chunk"]) if row["tp"] + row["fn"] == 0
    ]
    note = (
        f" Chunk {', '.join(empty)} holds no spam: F1 is 0 there by definition, only FPR speaks."
        if empty
        else ""
    )
    return (
        f"Spam: F1 and FPR (×100) per chunk of the {result['stream']:,} messages after the first champion's "
        f"earliest {result['base_fraction']:.0%} (by date), each scored before the policy learns from it; "
        f"{_setup(result)}{note} The whole-stream row pools every decision.\n\n"
        + markdown_table(header, rows)
        + "\n\n"
        + markdown_table(["target", "measured", "met"], summary)
        + "\n\n"
        + _retrains(result)
    )


def _recsys_tables(result: dict[str, Any]) -> str:
    policies = result["policies"]
    header = ["chunk", "visits", *(f"{POLICY_LABELS[p]}: NDCG@10 (version)" for p in policies)]
    rows = [
        [
            i + 1,
            size,
            *(
                f"{p['per_chunk'][i]['ndcg@10']:.4f} (v{p['per_chunk'][i]['version']})"
                for p in policies.values()
            ),
        ]
        for i, size in enumerate(result["chunks"])
    ]
    rows.append(
        ["whole stream", result["stream"], *(f"**{p['overall']['ndcg@10']:.4f}**" for p in policies.values())]
    )
    return (
        f"Recommender: NDCG@10 per chunk of the {result['stream']:,} user visits after the earliest "
        f"{result['base_fraction']:.0%} of ratings (by time); a visit's relevant items are the movies the "
        f"user rates from then on; {_setup(result)}{_recsys_note(result)}\n\n"
        + markdown_table(header, rows)
        + "\n\n"
        + _retrains(result)
    )


def _recsys_note(result: dict[str, Any]) -> str:
    promoted = sum(r["promoted"] for p in result["policies"].values() for r in p["retrains"])
    if promoted:
        return ""
    return (
        " The gate promoted no candidate (it compares NDCG@10 on the holdout users of the earliest part,"
        " whom the replay's new labels hardly concern), so all three policies served the first champion"
        " throughout."
    )


def _setup(result: dict[str, Any]) -> str:
    return (
        f"candidate `{result['candidate']}` (torch skipped for time), users answer "
        f"{result['feedback_rate']:.0%} of predictions, a retrain per "
        f"{result['label_trigger_count']} new labels, annotators answer up to "
        f"{result['annotation_budget']} queue items per chunk; "
        f"{result['wall_seconds']:.0f} s wall. First model vs the gate's first-model floors: "
        f"{result['first_champion_gate']}."
    )


def _retrains(result: dict[str, Any]) -> str:
    lines = []
    for name, policy in result["policies"].items():
        if name == "frozen":
            continue
        decisions = "; ".join(
            f"after chunk {r['chunk'] + 1}: {'**promoted**' if r['promoted'] else 'refused'}"
            for r in policy["retrains"]
        )
        lines.append(
            f"- {POLICY_LABELS[name]}: feedback {policy['feedback']:,} ({policy['wrong_feedback']:,} wrong), "
            f"annotators' labels {policy['annotated']:,}; {decisions or 'no retrain'}"
        )
    return "\n".join(lines) + "\n"


def _yes(value: bool) -> str:
    return "yes" if value else "**no**"


def tables(results: dict[str, Any]) -> str:
    return _spam_tables(results["replay_spam"]) + "\n" + _recsys_tables(results["replay_recsys"])
