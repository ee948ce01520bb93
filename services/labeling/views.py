"""What an annotator's browser receives of an item: the task and what to judge, and nothing that would bias
or leak — never the item's selection reason (it would mark gold items), never other annotators' labels, and
never the model's prediction (it is revealed, if at all, only after the annotator's label: no anchoring).

How an item reads (its answers' captions, how its subject is shown) is its kind's: the pages place the
kind's words as text and know no kind themselves.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from closedloop.kinds import ModelKind
from closedloop.labeling import ItemRecord
from services.labeling.errors import PageError


def kind_of_item(kinds: dict[str, ModelKind], item: ItemRecord) -> ModelKind:
    """The registered kind of `item`; 409 for an item of a kind this installation no longer registers."""
    kind = kinds.get(item.model)
    if kind is None:
        raise PageError(409, f"item {item.id} is of model kind {item.model!r}, which is not registered here")
    return kind


def item_view(item: ItemRecord, kind: ModelKind) -> dict[str, Any]:
    """The JSON the labeling page renders (as text) for `item`: its subject, and how the kind shows it."""
    shown = asdict(kind.show(item.subject))
    return {"id": item.id, "model": item.model, "task": item.task, "subject": item.subject, "shown": shown}


def prediction_view(item: ItemRecord, kind: ModelKind) -> dict[str, Any] | None:
    """The model's decision on `item` ({"label", "name", "score"}), or None for an item without one (gold)."""
    if item.model_label is None:
        return None
    name = kind.config.task.prediction(item.model_label)
    return {"label": item.model_label, "name": name, "score": item.model_score}


def task_links(kinds: dict[str, ModelKind]) -> list[tuple[str, str]]:
    """(model filter, title) of the workspace's task navigation: every task, then each kind's."""
    return [("", "All tasks"), *((name, kind.config.task.title) for name, kind in kinds.items())]
