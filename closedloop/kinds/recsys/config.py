"""What the recommender is, as data: names, metric, candidates, feedback, labels, floors, labeling task."""

from __future__ import annotations

from closedloop.gate import Floor
from closedloop.kinds.contract import Answer, KindConfig, LabelingTask

NAME = "recsys"
# A rating's relevance as a consensus label: 5 -> 3, 4 -> 2, 3 -> 1, 1-2 -> 0 (not relevant).
RATING_RELEVANCE = {5: 3, 4: 2, 3: 1, 2: 0, 1: 0}

CONFIG = KindConfig(
    name=NAME,
    registered_name="recommender",
    title="Recommender",
    metric="ndcg_at_10",
    candidates=("popularity", "knn", "torch", "ensemble"),
    default_candidates=("knn", "torch"),
    feedback_kinds=("click", "rating", "dismiss"),
    label_values=(0, 1, 2, 3),
    task=LabelingTask(
        name="relevance",
        answers=(
            Answer(1, "1", "not relevant"),
            Answer(2, "2", "marginal"),
            Answer(3, "3", "relevant"),
            Answer(4, "4", "highly relevant"),
        ),
        consensus={1: 0, 2: 0, 3: 1, 4: 1},  # grades 3-4 count as relevant in training
        title="Movie relevance",
        question="Relevant recommendation?",
        predictions={1: "recommended", 0: "not recommended"},
    ),
    floors=(Floor("ndcg_at_10", at_least=0.20),),
    interactions=True,
    position=20,
    distributed_candidates=("torch",),
)
