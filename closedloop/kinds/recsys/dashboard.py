"""The recommender on the dashboard: live quality of the served lists per time bucket, from every reaction
to them (feedback, and interactions that name a list), judged by the same per-list rules as monitoring
(`models.recsys.reactions`): hit rate, MRR and NDCG over the lists users answered, CTR over all lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from closedloop.kinds.quality import Figure, LiveQuality, QualityFamily, time_buckets
from closedloop.kinds.recsys.config import NAME
from closedloop.kinds.recsys.reactions import POSITIVE_STARS, reactions
from closedloop.store import read_answers
from models.recsys.reactions import COUNTS, list_outcomes, quality


def list_figures(counts: Sequence[float]) -> dict[str, float | None]:
    """Counts in the order of `models.recsys.reactions.COUNTS` -> hit_rate, mrr, ndcg, ctr."""
    return quality(dict(zip(COUNTS, counts, strict=True)))


FAMILY = QualityFamily(
    counts=COUNTS,
    figures=(
        Figure("hit_rate", "hit rate"),
        Figure("mrr", "MRR"),
        Figure("ndcg", "NDCG"),
        Figure("ctr", "CTR", digits=4),
    ),
    compute=list_figures,
    answered="lists answered",
    note=(
        f"Over the lists users answered (a click or {POSITIVE_STARS}+ stars is a positive reaction; "
        f"1–{POSITIVE_STARS - 1} stars or a dismiss a negative one): hit rate, the share with a positive "
        "reaction on a listed item; MRR and NDCG of the best-placed one (0 without). CTR: share of all lists "
        "served with a click."
    ),
)


class RecsysDashboard:
    """Dashboard hook: `COUNTS` per bucket (lists served from the traffic, the rest from the reactions)."""

    def live_quality(
        self, session: Session, *, since: datetime, width: int, served: Mapping[int, int]
    ) -> LiveQuality:
        answers = read_answers(session, model=NAME, since=since)  # bounded by the reactions, not the lists
        lists = answers.drop_duplicates("prediction_id").set_index("prediction_id")
        items = lists["output"].map(lambda output: list(output.get("items", [])))
        outcomes = list_outcomes(items, reactions(answers))
        bucket = time_buckets(lists["served_at"], width)
        per_bucket = outcomes.groupby(bucket).sum()
        buckets: dict[int, tuple[float, ...]] = {}
        for b, n in served.items():
            reacted = per_bucket.loc[b] if b in per_bucket.index else None
            rest = tuple(float(reacted[name]) if reacted is not None else 0.0 for name in COUNTS[1:])
            buckets[b] = (float(n), *rest)
        return LiveQuality(family=FAMILY, buckets=buckets, answered=int(outcomes["answered"].sum()))
