"""Validation of the spam filter's training snapshot: labels 0/1, PII redacted, empty and duplicate texts and
texts that leak into the holdout dropped, the spam share bounded and then checked."""

from __future__ import annotations

import pandas as pd

from closedloop.retraining.checks import (
    DataValidationError,
    ValidationReport,
    bound_label_share,
    drop_rows,
    require_columns,
    text_key,
)
from models.redaction import redact_pii


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
    frame = drop_rows(frame, empty, "empty_text", report)

    frame["key"] = frame["text"].map(text_key)
    # The same text with both labels cannot be learned from; a repeated text with one label is kept once.
    conflicting = frame.groupby("key")["label"].transform("nunique").gt(1)
    frame = drop_rows(frame, conflicting, "conflicting_labels", report)
    frame = drop_rows(frame, frame.duplicated("key", keep="last"), "duplicate_text", report)

    holdout_keys = set(holdout["text"].map(redact_pii).map(text_key))
    frame = drop_rows(frame, frame["key"].isin(holdout_keys), "holdout_leakage", report)

    frame = bound_label_share(frame, min_spam_share, max_spam_share, report)
    share = float(frame["label"].mean()) if len(frame) else float("nan")
    report.stats["spam_share"] = round(share, 4)
    if not min_spam_share <= share <= max_spam_share:
        raise DataValidationError(
            f"spam share {share:.3f} outside the allowed [{min_spam_share}, {max_spam_share}]: "
            "labels look broken or poisoned"
        )
    report.rows_out = len(frame)
    return frame.drop(columns="key").reset_index(drop=True), report
