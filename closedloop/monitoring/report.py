"""The Evidently drift report over descriptor columns, and the per-column verdicts read back out of it."""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

import pandas as pd
from evidently import DataDefinition, Dataset, Report, Run
from evidently.presets import DataDriftPreset


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    drift_share: float,
    name: str,
    timestamp: datetime,
    metadata: dict[str, str],
    tags: list[str],
) -> Run:
    """Run Evidently's data-drift preset on the numerical columns the two frames share.

    Evidently picks the test per column (K-S below 1000 reference rows, Wasserstein above, chi-square for
    columns of few values); `drift_share` is the share of drifted columns at which the dataset drifts.
    """
    columns = [c for c in reference.columns if c in current.columns]
    definition = DataDefinition(numerical_columns=columns)
    report = Report([DataDriftPreset(columns=columns, drift_share=drift_share)], include_tests=True)
    with warnings.catch_warnings():
        # Evidently correlates the columns with each other; a column constant in a window (no links in any
        # message) has no correlation, and numpy says so with a warning per division.
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        warnings.filterwarnings("ignore", "divide by zero encountered", RuntimeWarning)
        return report.run(
            current_data=Dataset.from_pandas(current[columns], data_definition=definition),
            reference_data=Dataset.from_pandas(reference[columns], data_definition=definition),
            metadata=metadata,
            timestamp=timestamp,
            tags=tags,
            name=name,
        )


def drift_summary(run: Run, *, threshold: float) -> dict[str, Any]:
    """`{"share", "detected", "threshold", "columns": {name: {"score", "drifted", "method"}}}` from a run.

    `score` is the test's statistic as Evidently reports it: a p-value for K-S / chi-square (drifted when
    below the method's threshold), a distance for Wasserstein and the like (drifted when above).
    """
    payload = run.dict()
    verdicts = {
        test["metric_config"]["params"]["column"]: test["status"] == "FAIL"
        for test in payload["tests"]
        if test["metric_config"]["params"]["type"].endswith(":ValueDrift")
    }
    columns: dict[str, dict[str, Any]] = {}
    share = 0.0
    for metric in payload["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            column = config["column"]
            columns[column] = {
                "score": float(metric["value"]),
                "drifted": verdicts[column],
                "method": str(config.get("method")),
                "threshold": config.get("threshold"),
            }
        elif config["type"].endswith(":DriftedColumnsCount"):
            share = float(metric["value"]["share"])
    return {"share": share, "detected": share >= threshold, "threshold": threshold, "columns": columns}
