"""How the recommender's replay reads in the benchmark report: table cells, caption and targets for a
prequential result (`closedloop simulate recsys --fast --json`)."""

from __future__ import annotations

from typing import Any


class RecsysReplayReport:
    """The benchmark report's parts that only the recommender knows (`bench`'s replay suite renders them)."""

    unit = "visits"  # what one streamed item is
    cell_header = "NDCG@10"

    def cell(self, scores: dict[str, Any]) -> str:
        """One chunk's (or the whole stream's) NDCG@10 in a table cell."""
        return f"{scores['ndcg@10']:.4f}"

    def caption(self, result: dict[str, Any], setup: str) -> str:
        """The paragraph above the per-chunk table; `setup` describes the run's settings."""
        return (
            f"Recommender: NDCG@10 per chunk of the {result['stream']:,} user visits after the earliest "
            f"{result['base_fraction']:.0%} of ratings (by time); a visit's relevant items are the movies "
            "the user rates from then on. Each visit's ratings go through the interaction log (a rating of a "
            "recommended item the user reports carries the prediction id); fold-in ranks from them at the "
            f"next request; {setup}"
        )

    def notes(self, result: dict[str, Any]) -> list[str]:
        """Settings of this kind that the report's setup sentence names: none beyond the shared ones."""
        return []

    def verdicts(self, result: dict[str, Any]) -> list[tuple[str, str, bool]]:
        """(target, measured, met) for each of the replay's targets."""
        ratio = result["targets"]["ratio_to_frozen"]
        over_foldin = result["targets"]["loop_over_foldin"]
        promotions = sum(r["promoted"] for r in result["policies"]["loop"]["retrains"])
        return [
            ("loop / frozen (target ≥ 1.3)", f"×{ratio['loop']:.3f}", ratio["loop"] >= 1.3),
            ("promotions in the loop (target ≥ 3)", str(promotions), promotions >= 3),
            ("noisy loop / frozen (target ≥ 1.2)", f"×{ratio['loop_noisy']:.3f}", ratio["loop_noisy"] >= 1.2),
            ("loop / fold-in only (target ≥ 1.05)", f"×{over_foldin:.3f}", over_foldin >= 1.05),
        ]
