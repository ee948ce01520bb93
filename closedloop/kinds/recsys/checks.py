"""Validation of the recommender's training snapshot: known items, one row per (user, item), no pair that
leaks into the holdout."""

from __future__ import annotations

import pandas as pd

from closedloop.retraining.checks import DataValidationError, ValidationReport, drop_rows, require_columns


def validate_recsys(
    train: pd.DataFrame, *, holdout: pd.DataFrame, n_items: int
) -> tuple[pd.DataFrame, ValidationReport]:
    """Check and repair recommender interactions (`user_id`, `item_id`, `source`)."""
    require_columns(train, {"user_id": "int", "item_id": "int", "source": "str"}, name="recsys snapshot")
    report = ValidationReport(rows_in=len(train))
    frame = train.copy()
    unknown = ~frame["item_id"].between(1, n_items)
    frame = drop_rows(frame, unknown, "unknown_item", report)
    frame = drop_rows(frame, frame.duplicated(["user_id", "item_id"], keep="last"), "duplicate_pair", report)
    pairs = pd.MultiIndex.from_frame(frame[["user_id", "item_id"]])
    leaked = pairs.isin(pd.MultiIndex.from_frame(holdout[["user_id", "item_id"]]))
    frame = drop_rows(frame, pd.Series(leaked, index=frame.index), "holdout_leakage", report)
    if frame.empty:
        raise DataValidationError("recsys snapshot has no interactions left after validation")
    report.stats["users"] = int(frame["user_id"].nunique())
    report.stats["items"] = int(frame["item_id"].nunique())
    report.rows_out = len(frame)
    return frame.reset_index(drop=True), report
