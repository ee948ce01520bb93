"""How the spam filter's replay reads: F1 and FPR from confusion counts, and the benchmark's table cells,
caption and targets for a prequential result (`closedloop simulate spam --fast --json`)."""

from __future__ import annotations

from typing import Any


def rates(c: dict[str, int]) -> dict[str, float]:
    """F1, FPR, precision and recall of confusion counts `c` (tp, fp, fn, tn); 0 where undefined."""
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = c["fp"] / (c["fp"] + c["tn"]) if c["fp"] + c["tn"] else 0.0
    return {
        "f1": round(f1, 4),
        "fpr": round(fpr, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def _points(value: float) -> str:
    return f"{100 * value:.1f}"


class SpamReplayReport:
    """The benchmark report's parts that only the spam filter knows (`bench`'s replay suite renders them)."""

    unit = "messages"  # what one streamed item is
    cell_header = "F1 / FPR"

    def cell(self, scores: dict[str, Any]) -> str:
        """One chunk's (or the whole stream's) scores in a table cell: F1 / FPR, ×100."""
        return f"{_points(scores['f1'])} / {_points(scores['fpr'])}"

    def caption(self, result: dict[str, Any], setup: str) -> str:
        """The paragraph above the per-chunk table; `setup` describes the run's settings."""
        frozen = result["policies"]["frozen"]["per_chunk"]
        empty = [str(i + 1) for i, row in enumerate(frozen) if row["tp"] + row["fn"] == 0]
        note = (
            f" Chunk {', '.join(empty)} holds no spam: F1 is 0 there by definition, only FPR speaks."
            if empty
            else ""
        )
        return (
            f"Spam: F1 and FPR (×100) per chunk of the {result['stream']:,} messages after the first "
            f"champion's earliest {result['base_fraction']:.0%} (by date), each scored before the policy "
            f"learns from it; {setup}{note} The whole-stream row pools every decision."
        )

    def notes(self, result: dict[str, Any]) -> list[str]:
        """Settings of this kind that the report's setup sentence names."""
        return [f"spam threshold for FPR {result['target_fpr']:.0%}"]

    def verdicts(self, result: dict[str, Any]) -> list[tuple[str, str, bool]]:
        """(target, measured, met) for each of the replay's targets."""
        targets = result["targets"]
        loop, noisy = (result["policies"][name]["overall"] for name in ("loop", "loop_noisy"))
        return [
            (
                "loop − frozen, F1 points, at loop FPR ≤ 1 % (target ≥ 8)",
                f"{targets['loop_minus_frozen_f1_points']:+.1f} at {_points(loop['fpr'])} %",
                targets["loop_minus_frozen_f1_points"] >= 8 and loop["fpr"] <= 0.01,
            ),
            (
                "noisy loop − frozen, F1 points, at FPR ≤ 1.5 % (target ≥ 8)",
                f"{targets['noisy_minus_frozen_f1_points']:+.1f} at {_points(noisy['fpr'])} %",
                targets["noisy_minus_frozen_f1_points"] >= 8 and noisy["fpr"] <= 0.015,
            ),
        ]
