"""The recommender's data hooks: MovieLens, the items it knows, and the offline evaluation protocol
`closedloop train recsys` runs (per-user random 8:1:1, full ranking over unseen items, RecBole's
metrics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from closedloop.corpora import Corpus
from closedloop.kinds.data import KnownItems
from closedloop.kinds.recsys.corpus import MOVIELENS, load_movielens
from closedloop.settings import Settings


class RecsysData:
    """Data hooks: MovieLens 100K, its catalogue, and NDCG@10, Recall@10 and Hit@10 on the test split."""

    def corpora(self) -> Sequence[Corpus]:
        return (MOVIELENS,)

    def evaluate(
        self,
        settings: Settings,
        model: str,
        *,
        options: Mapping[str, str],
        seed: int = 0,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
    ) -> dict[str, Any] | None:
        from models.recsys.evaluate import evaluate_recsys  # torch: only when a protocol runs

        result = evaluate_recsys(
            load_movielens(settings), model=model, seed=seed, checkpoint_dir=checkpoint_dir, resume=resume
        )
        return dict(result.metrics)

    def known_items(self, settings: Settings) -> KnownItems | None:
        items = load_movielens(settings).items["item_id"]
        return KnownItems(items=frozenset(int(item) for item in items), catalogue="the MovieLens catalogue")
