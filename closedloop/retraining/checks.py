"""Data validation of a training snapshot, run before any model sees it.

Each check either repairs the frame in a way that is always right (drop empty texts, drop exact duplicates,
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

from models.redaction import redact_pii

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


def validate_spam(
    train: pd.DataFrame, *, holdout: pd.DataFrame, min_spam_share: float, max_spam_share: float
) -> tuple[pd.DataFrame, ValidationReport]:
    """Check and repair spam training rows (`text`, `label`, `source`); returns redacted, clean rows."""
    require_columns(train, {"text": "str", "label": "int", "source": "str"}, name="spam snapshot")
    report = ValidationReport(rows_in=len(train))
    bad_labels = sorted(set(train["label"].unique()) - {0, 1})
    if bad_labels:
        raise DataValidationError(f"spam labels must be 0 or 1, found {bad_labels}")

    frame = train.copy()
    frame["text"] = frame["text"].map(redact_pii)
    report.stats["pii_redacted_rows"] = int((frame["text"] != train["text"]).sum())
    empty = frame["text"].str.strip().str.len().eq(0)
    frame = _drop(frame, empty, "empty_text", report)

    frame["key"] = frame["text"].map(text_key)
    # The same text with both labels cannot be learned from; a repeated text with one label is kept once.
    conflicting = frame.groupby("key")["label"].transform("nunique").gt(1)
    frame = _drop(frame, conflicting, "conflicting_labels", report)
    frame = _drop(frame, frame.duplicated("key", keep="last"), "duplicate_text", report)

    holdout_keys = set(holdout["text"].map(redact_pii).map(text_key))
    frame = _drop(frame, frame["key"].isin(holdout_keys), "holdout_leakage", report)

    frame = _bound_label_share(frame, min_spam_share, max_spam_share, report)
    share = float(frame["label"].mean()) if len(frame) else float("nan")
    report.stats["spam_share"] = round(share, 4)
    if not min_spam_share <= share <= max_spam_share:
        raise DataValidationError(
            f"spam share {share:.3f} outside the allowed [{min_spam_share}, {max_spam_share}]: "
            "labels look broken or poisoned"
        )
    report.rows_out = len(frame)
    return frame.drop(columns="key").reset_index(drop=True), report


def validate_recsys(
    train: pd.DataFrame, *, holdout: pd.DataFrame, n_items: int
) -> tuple[pd.DataFrame, ValidationReport]:
    """Check and repair recommender interactions (`user_id`, `item_id`, `source`)."""
    require_columns(train, {"user_id": "int", "item_id": "int", "source": "str"}, name="recsys snapshot")
    report = ValidationReport(rows_in=len(train))
    frame = train.copy()
    unknown = ~frame["item_id"].between(1, n_items)
    frame = _drop(frame, unknown, "unknown_item", report)
    frame = _drop(frame, frame.duplicated(["user_id", "item_id"], keep="last"), "duplicate_pair", report)
    pairs = pd.MultiIndex.from_frame(frame[["user_id", "item_id"]])
    leaked = pairs.isin(pd.MultiIndex.from_frame(holdout[["user_id", "item_id"]]))
    frame = _drop(frame, pd.Series(leaked, index=frame.index), "holdout_leakage", report)
    if frame.empty:
        raise DataValidationError("recsys snapshot has no interactions left after validation")
    report.stats["users"] = int(frame["user_id"].nunique())
    report.stats["items"] = int(frame["item_id"].nunique())
    report.rows_out = len(frame)
    return frame.reset_index(drop=True), report


def _bound_label_share(
    frame: pd.DataFrame, low: float, high: float, report: ValidationReport
) -> pd.DataFrame:
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
    return _drop(frame, excess, "label_share_excess", report)


def _drop(frame: pd.DataFrame, mask: pd.Series, reason: str, report: ValidationReport) -> pd.DataFrame:
    report.dropped[reason] = report.dropped.get(reason, 0) + int(mask.sum())
    return frame.loc[~mask]
