"""The `replay` suite: `closedloop simulate <kind> --fast --json` on the real corpora, as a user runs it, for
every kind with a replay: the frozen first champion against the loop (clean feedback) and the loop with
wrong reports plus consensus labeling, scored prequentially over the later part of each corpus. How a
kind's figures read (cells, caption, targets) is the kind's replay's to say (`ReplayReport`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.contract import ReplayReport
from bench.report import markdown_table
from closedloop.kinds import kind, kinds
from closedloop.settings import get_settings

PREFIX = "replay_"  # results key of a kind: replay_<kind>
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


def run(only: str | None = None) -> dict[str, Any]:
    """Every kind with a replay (`only`: just that one), one subprocess each (the corpora must be fetched:
    `closedloop data fetch all`)."""
    subprocess.run([sys.executable, "-m", "cli", "data", "fetch", "all"], check=True)
    settings = get_settings()
    names = [
        found.name
        for found in kinds()
        if found.replay(settings) is not None and only in (None, found.name, found.config.registered_name)
    ]
    return {f"{PREFIX}{name}": _simulate(name) for name in names}


def _report(result: dict[str, Any]) -> ReplayReport:
    plan: ReplayReport | None = kind(result["model"]).replay(get_settings())
    assert plan is not None, f"{result['model']} was replayed, so it has a replay"
    return plan


def _ordered(result: dict[str, Any]) -> dict[str, Any]:
    """The policies in reading order (the JSON may hold them sorted by name)."""
    return {name: result["policies"][name] for name in POLICY_LABELS if name in result["policies"]}


def _tables(result: dict[str, Any]) -> str:
    """Per-chunk figures of each policy, the whole stream, the kind's targets and the retrains."""
    report, policies = _report(result), _ordered(result)
    header = [
        "chunk",
        report.unit,
        *(f"{POLICY_LABELS[p]}: {report.cell_header} (version)" for p in policies),
    ]
    rows = [
        [
            i + 1,
            size,
            *(
                f"{report.cell(p['per_chunk'][i])} (v{p['per_chunk'][i]['version']})"
                for p in policies.values()
            ),
        ]
        for i, size in enumerate(result["chunks"])
    ]
    rows.append(
        ["whole stream", result["stream"], *(f"**{report.cell(p['overall'])}**" for p in policies.values())]
    )
    summary = [[target, measured, _yes(met)] for target, measured, met in report.verdicts(result)]
    summary.append(_future_row(result))
    return (
        report.caption(result, _setup(result, report.notes(result)))
        + "\n\n"
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


def _setup(result: dict[str, Any], notes: list[str]) -> str:
    refit = "refit with the window" if result["gate_refit_window"] else "served as judged"
    return (
        f"candidate `{result['candidate']}` (torch skipped for time), users report on "
        f"{result['feedback_rate']:.0%} of predictions, a retrain per "
        f"{result['label_trigger_count']} new labels (interactions), the gate's window the newest "
        f"{result['gate_window_fraction']:.0%} of what arrived since the champion (at least "
        f"{result['gate_min_window']} units), a promoted challenger {refit}, "
        + "".join(f"{note}, " for note in notes)
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
    """One section per kind replayed, in the kinds' order."""
    return "\n".join(_tables(result) for key, result in results.items() if key.startswith(PREFIX))
