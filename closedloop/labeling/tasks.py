"""The kinds behind labeling items: each item belongs to a registered model kind, whose labeling task says
which answers an annotator may give and which consensus label each becomes.

The kinds import this kernel, so it finds them by name when a function runs, never when it is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from closedloop.labeling.errors import InvalidItemLabel

if TYPE_CHECKING:
    from closedloop.kinds.contract import LabelingTask, ModelKind


def kind_of(model: str) -> ModelKind:
    """The registered kind called `model` (`UnknownKind`, a LookupError, when none is)."""
    from closedloop.kinds import kind

    return kind(model)


def task_of(model: str) -> LabelingTask:
    """The labeling task of the registered kind `model`."""
    return kind_of(model).config.task


def check_item_label(task: LabelingTask, label: int) -> None:
    """Raise `InvalidItemLabel` unless `label` is one of `task`'s answers."""
    if isinstance(label, bool) or not isinstance(label, int) or label not in task.values:
        raise InvalidItemLabel(f"a {task.name} item takes {task.choices()}, got {label!r}")
