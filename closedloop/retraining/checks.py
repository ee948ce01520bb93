"""Data validation of a training snapshot, run before any model sees it.

The kinds' own validators (`closedloop.kinds.<kind>.checks`) are built from these pieces. Each check either
repairs the frame in a way that is always right (drop empty texts, drop exact duplicates,
drop rows that leak into the holdout) and counts what it did, or refuses the snapshot with
`DataValidationError` when training on it would be wrong (missing columns, labels outside the label set,
a label balance far from anything the model was built for).

The label balance is first bounded, not refused: a flood of one-sided labels would otherwise block every
snapshot from then on. Beyond the allowed share, the newest labels of the over-represented class that do not
come from the corpus wait (they are counted, not trained on this time); only a corpus that is itself out of
bounds refuses the snapshot.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

_WS = re.compile(r"\s+")


class DataValidationError(Exception):
    """The snapshot must not be trained on; the message says which check failed and by how much."""


@dataclass
class ValidationReport:
    rows_in: int
    rows_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "rows_out": self.rows_out, "dropped": self.dropped, **self.stats}


def text_key(text: str) -> str:
    """Identity of a text for duplicate and leakage checks: case- and whitespace-folded sha256."""
    return hashlib.sha256(_WS.sub(" ", text).strip().casefold().encode("utf-8", "surrogatepass")).hexdigest()


def require_columns(frame: pd.DataFrame, columns: dict[str, str], *, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(f"{name} lacks columns {missing}")
    for column, kind in columns.items():
        if kind == "int" and not pd.api.types.is_integer_dtype(frame[column]):
            raise DataValidationError(f"{name}.{column} must be integer, got {frame[column].dtype}")
        if kind == "str" and not frame[column].map(lambda v: isinstance(v, str)).all():
            raise DataValidationError(f"{name}.{column} must hold strings only")


def bound_label_share(frame: pd.DataFrame, low: float, high: float, report: ValidationReport) -> pd.DataFrame:
    """Drop the newest non-corpus rows of the over-represented class until its share is within [low, high]
    (rows are oldest first); what stays out is counted as `label_share_excess`."""
    n, positives = len(frame), int(frame["label"].sum())
    if not n:
        return frame
    if positives / n > high and high < 1.0:
        surplus, label = math.ceil((positives - high * n) / (1.0 - high) - 1e-9), 1
    elif positives / n < low and low > 0.0:
        surplus, label = math.ceil(n - positives / low - 1e-9), 0
    else:
        return frame
    movable = frame.index[(frame["label"] == label) & (frame["source"] != "corpus")]
    excess = pd.Series(frame.index.isin(movable[len(movable) - min(surplus, len(movable)) :]), frame.index)
    return drop_rows(frame, excess, "label_share_excess", report)


def drop_rows(frame: pd.DataFrame, mask: pd.Series, reason: str, report: ValidationReport) -> pd.DataFrame:
    """`frame` without the rows `mask` marks, counted in `report` under `reason`."""
    report.dropped[reason] = report.dropped.get(reason, 0) + int(mask.sum())
    return frame.loc[~mask]
