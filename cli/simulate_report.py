"""How `closedloop simulate --fast` prints its result on a terminal: one table per policy over time."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cli.output import console

LABELS = {
    "frozen": "frozen first champion",
    "loop": "loop, clean feedback",
    "loop_noisy": "loop, wrong reports + consensus labeling",
}


SHOWN = 2  # headline figures per cell: more would not fit three policies side by side


def metric_columns(overall: dict[str, Any]) -> list[str]:
    """The stream's headline figures: the first rates of a policy's whole-stream summary, in the order the
    kind's replay reports them (counts such as `n` are integers and left out)."""
    return [name for name, value in overall.items() if isinstance(value, float)][:SHOWN]


def print_benchmark(result: dict[str, Any]) -> None:
    """Per-chunk metrics side by side for the three policies, then the whole-stream summary."""
    model, policies = result["model"], result["policies"]
    columns = metric_columns(next(iter(policies.values()))["overall"])
    table = Table(title=f"{model}: prequential {', '.join(columns)} per chunk of the stream (version served)")
    table.add_column("chunk", justify="right")
    table.add_column("n", justify="right")
    for name in policies:
        table.add_column(LABELS.get(name, name), justify="right")
    for index, size in enumerate(result["chunks"]):
        cells = []
        for rows in (p["per_chunk"] for p in policies.values()):
            row = rows[index]
            cells.append(" / ".join(f"{row[c]:.3f}" for c in columns) + f"  v{row['version']}")
        table.add_row(str(index + 1), str(size), *cells)
    table.add_row(
        "all",
        str(result["stream"]),
        *(" / ".join(f"{p['overall'][c]:.3f}" for c in columns) for p in policies.values()),
    )
    console.print(table)
    for name, policy in policies.items():
        if name == "frozen":
            continue
        promoted = sum(r["promoted"] for r in policy["retrains"])
        feedback, wrong = policy["feedback"], policy["wrong_feedback"]
        console.print(
            f"{LABELS[name]}: {len(policy['retrains'])} retrains, {promoted} promoted; feedback"
            f" {feedback} ({wrong} wrong); annotators' labels {policy['annotated']}",
            highlight=False,
        )
    if "targets" in result:
        console.print(f"targets: {result['targets']}", highlight=False)
    console.print(
        f"first champion, gate's first-model check: {result['first_champion_gate']}", highlight=False
    )
    console.print(f"{result['seconds']:.0f}s", highlight=False)
