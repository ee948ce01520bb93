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
    "foldin": "fold-in only",
    "loop": "loop, clean feedback",
    "loop_noisy": "loop, 20 % wrong reports + consensus labeling",
}


def _simulate(model: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "simulate", model, "--fast", "--json"],
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
    subprocess.run([sys.executable, "-m", "cli", "data", "fetch", "all"], check=True)
    return {"replay_spam": _simulate("spam"), "replay_recsys": _simulate("recsys")}


def _points(value: float) -> str:
    return f"{100 * value:.1f}"


def _ordered(result: dict[str, Any]) -> dict[str, Any]:
    """The policies in reading order (the JSON may hold them sorted by name)."""
    return {name: result["policies"][name] for name in POLICY_LABELS if name in result["policies"]}


def _spam_tables(result: dict[str, Any]) -> str:
    policies = _ordered(result)
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
    loop, noisy = policies["loop"]["overall"], policies["loop_noisy"]["overall"]
    summary = [
        [
            "loop − frozen, F1 points, at loop FPR ≤ 1 % (target ≥ 8)",
            f"{targets['loop_minus_frozen_f1_points']:+.1f} at {_points(loop['fpr'])} %",
            _yes(targets["loop_minus_frozen_f1_points"] >= 8 and loop["fpr"] <= 0.01),
        ],
        [
            "noisy loop − frozen, F1 points, at FPR ≤ 1.5 % (target ≥ 8)",
            f"{targets['noisy_minus_frozen_f1_points']:+.1f} at {_points(noisy['fpr'])} %",
            _yes(targets["noisy_minus_frozen_f1_points"] >= 8 and noisy["fpr"] <= 0.015),
        ],
        _future_row(result),
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
    policies = _ordered(result)
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
    ratio = result["targets"]["ratio_to_frozen"]
    over_foldin = result["targets"]["loop_over_foldin"]
    promotions = sum(r["promoted"] for r in policies["loop"]["retrains"])
    summary = [
        ["loop / frozen (target ≥ 1.3)", f"×{ratio['loop']:.3f}", _yes(ratio["loop"] >= 1.3)],
        ["promotions in the loop (target ≥ 3)", promotions, _yes(promotions >= 3)],
        [
            "noisy loop / frozen (target ≥ 1.2)",
            f"×{ratio['loop_noisy']:.3f}",
            _yes(ratio["loop_noisy"] >= 1.2),
        ],
        ["loop / fold-in only (target ≥ 1.05)", f"×{over_foldin:.3f}", _yes(over_foldin >= 1.05)],
        _future_row(result),
    ]
    return (
        f"Recommender: NDCG@10 per chunk of the {result['stream']:,} user visits after the earliest "
        f"{result['base_fraction']:.0%} of ratings (by time); a visit's relevant items are the movies the "
        f"user rates from then on. Each visit's ratings go through the interaction log (a rating of a "
        f"recommended item the user reports carries the prediction id); fold-in ranks from them at the next "
        f"request; {_setup(result)}\n\n"
        + markdown_table(header, rows)
        + "\n\n"
        + markdown_table(["target", "measured", "met"], summary)
        + "\n\n"
        + _retrains(result)
    )


def _future_row(result: dict[str, Any]) -> list[Any]:
    decisions = [r for p in result["policies"].values() for r in p["retrains"]]
    clean = sum(r["read_only_past"] for r in decisions)
    return [
        "gate decisions that read no row newer than themselves",
        f"{clean} of {len(decisions)}",
        _yes(clean == len(decisions)),
    ]


def _setup(result: dict[str, Any]) -> str:
    refit = "refit with the window" if result["gate_refit_window"] else "served as judged"
    return (
        f"candidate `{result['candidate']}` (torch skipped for time), users report on "
        f"{result['feedback_rate']:.0%} of predictions, a retrain per "
        f"{result['label_trigger_count']} new labels (interactions), the gate's window the newest "
        f"{result['gate_window_fraction']:.0%} of what arrived since the champion (at least "
        f"{result['gate_min_window']} units), a promoted challenger {refit}, "
        + (f"spam threshold for FPR {result['spam_target_fpr']:.0%}, " if result["model"] == "spam" else "")
        + f"annotators answer up to {result['annotation_budget']} queue items "
        f"per chunk; {result['wall_seconds']:.0f} s wall. First model vs the gate's first-model floors: "
        f"{result['first_champion_gate']}."
    )


def _retrains(result: dict[str, Any]) -> str:
    lines = []
    for name, policy in _ordered(result).items():
        if not policy["retrains"]:
            continue
        decisions = "; ".join(
            f"after chunk {r['chunk'] + 1}: {'**promoted**' if r['promoted'] else 'refused'}"
            for r in policy["retrains"]
        )
        lines.append(
            f"- {POLICY_LABELS[name]}: reports {policy['feedback']:,} ({policy['wrong_feedback']:,} wrong), "
            f"interactions {policy.get('interactions', 0):,}, annotators' labels {policy['annotated']:,}; "
            f"{decisions}"
        )
    promoted = next((r for p in result["policies"].values() for r in p["retrains"] if r["promoted"]), None)
    if promoted is not None:
        lines.append(f"- the gate's evidence for the first promotion: {promoted['reason']}")
    return "\n".join(lines) + "\n"


def _yes(value: bool) -> str:
    return "yes" if value else "**no**"


def tables(results: dict[str, Any]) -> str:
    return _spam_tables(results["replay_spam"]) + "\n" + _recsys_tables(results["replay_recsys"])
