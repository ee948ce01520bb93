"""A tiny model kind that only the tests register (`CLOSEDLOOP_KINDS=tests.toy_kind:KIND`, or
`Settings(kinds=[TOY])`): it takes no optional capability — no drift monitoring, no live quality, no learning
curve — so generic code shows how it treats a kind it knows nothing about beyond the contract.

It answers every prediction with the same constant score; it has nothing to fetch or to train.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from closedloop.gate import Floor
from closedloop.kinds.contract import Answer, KindConfig, LabelingTask, ModelKind, QueueItem, Route, Vote

TOY = "tests.toy_kind:KIND"


class ToyKindError(RuntimeError):
    """The toy kind cannot do what a real kind does with data (it has none)."""


class ToyKind(ModelKind):
    config = KindConfig(
        name="toy",
        registered_name="toy-model",
        title="Toy model",
        metric="accuracy",
        candidates=("constant",),
        default_candidates=("constant",),
        feedback_kinds=("thumbs",),
        label_values=(0, 1),
        task=LabelingTask(name="toy", answers=(Answer(1, "y", "yes"), Answer(0, "n", "no"))),
        floors=(Floor("accuracy", at_least=0.5),),
    )

    def fetch(self, settings: Any, *, source: Path | None = None) -> dict[str, Any]:
        return {"corpus": None}  # nothing to fetch

    def snapshot(
        self, settings: Any, store: Any, *, trained_on: Any, window_share: float | None = None
    ) -> Any:
        raise ToyKindError("the toy kind has no training data")

    def train(self, snapshot: Any, name: str, settings: Any) -> Any:
        raise ToyKindError("the toy kind trains nothing")

    def judge(
        self, candidate: Any, champion: Any, snapshot: Any, settings: Any, *, shadow: Any = None
    ) -> Any:
        raise ToyKindError("the toy kind has nothing to judge")

    def wrap(self, candidate: Any, snapshot: Any) -> Any:
        raise ToyKindError("the toy kind packages nothing")

    def input_example(self) -> pd.DataFrame:
        return pd.DataFrame({"x": [0.0]})

    def routes(self) -> Sequence[Route]:
        return []  # it serves nothing of its own

    def warm(self, wrapper: Any) -> None:
        return None

    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        return None

    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        return None

    def subject_key(self, subject: dict[str, Any]) -> str:
        return str(subject.get("x"))

    def queue_items(
        self, given: dict[str, Any], output: dict[str, Any], shadow: dict[str, Any] | None, describe: Any
    ) -> list[QueueItem]:
        return []

    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        return item_subject

    def label_columns(self) -> dict[str, str]:
        return {"subject_key": "object", "x": "float64"}

    def gold_item(self, item: dict[str, Any]) -> QueueItem:
        return QueueItem(key=self.subject_key(item), subject=item, model_label=None)


KIND = ToyKind()
