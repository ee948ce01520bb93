"""What a realistic dashboard home holds besides its store: gate verdicts on registered MLflow versions, and
the report files the monitor and learning-curve flows write — for the dashboard's benchmark and tests."""

from __future__ import annotations

import json
import math
import statistics
from datetime import timedelta
from pathlib import Path

from bench.contract import taking_part
from closedloop.settings import Settings
from closedloop.store.tables import utcnow


def record_gate_decisions(settings: Settings) -> None:
    """Registered versions with the gate's verdict tags, as the retraining flow leaves them in MLflow: each
    kind's `example_gate_decisions` (the spam filter's v1 and v2 promoted and v3 refused, say).

    The versions point at an empty folder (no model is loaded from them); `champion` is set as the audit
    log of `record_gate_history` says.
    """
    from closedloop.registry.decisions import decision_tags
    from closedloop.registry.tracking import configure

    client = configure(settings)
    source = settings.mlflow_dir / "fixture-model"
    source.mkdir(parents=True, exist_ok=True)
    for found, parts in taking_part("dashboard"):
        name = found.config.registered_name
        decisions, champion = parts.example_gate_decisions()
        client.create_registered_model(name)
        previous: str | None = None
        for decision in decisions:
            version = str(client.create_model_version(name, source=source.as_uri()).version)
            for key, value in decision_tags(decision, champion_version=previous).items():
                client.set_model_version_tag(name, version, key, value)
            previous = version if decision.promote else previous
        client.set_registered_model_alias(name, "champion", champion)


def write_report_fixtures(home: Path) -> None:
    """A drift summary with its HTML report and a learning curve per model, in the flows' schemas."""
    reports = Settings(home=home).reports_dir
    # score(n) = 1 − (a·n^(−b) + c), the learning-curve flow's power law; 1 − c is the asymptote.
    for found, parts in taking_part("dashboard"):
        model, (metric, (a, b, c)) = found.name, parts.example_curve
        folder = reports / "monitoring" / model
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "latest.html").write_text(
            f"<!doctype html><title>{model} drift</title><h1>{model} drift</h1>"
        )
        columns = {
            "text_length": {"score": 0.04, "drifted": True, "method": "Wasserstein"},
            "score": {"score": 0.31, "drifted": False, "method": "K-S p-value"},
        }
        (folder / "latest.json").write_text(json.dumps({
            "model": model, "created_at": utcnow().isoformat(),
            "reference": {"n": 2000, "description": "training snapshot"},
            "current": {"n": 1500, "since": (utcnow() - timedelta(days=1)).isoformat()},
            "drift": {"share": 0.5, "detected": True, "threshold": 0.5, "columns": columns},
            "quality": {}, "html": f"monitoring/{model}/latest.html",
        }))  # fmt: skip
        sizes = [250, 500, 1000, 2000, 4000]
        seeds = [list(range(k)) for k in (8, 6, 4, 3, 3)]  # per size, more where the data is small
        scores = [
            [1 - c - a * n**-b + 0.003 * ((seed + k) % 3 - 1) for seed in row]
            for k, (n, row) in enumerate(zip(sizes, seeds, strict=True))
        ]  # (sizes, seeds of that size)
        mean = [statistics.fmean(row) for row in scores]
        std = [statistics.stdev(row) for row in scores]
        beta = (mean[-1] - mean[0]) / math.log(sizes[-1] / sizes[0])
        curve = reports / "learning-curve"
        curve.mkdir(parents=True, exist_ok=True)
        (curve / f"{model}.json").write_text(json.dumps({
            "model": model, "metric": metric, "created_at": utcnow().isoformat(),
            "sizes": sizes, "seeds": seeds, "scores": scores, "mean": mean, "std": std,
            "power_fit": {"a": a, "b": b, "c": c, "r2": 0.99},
            "log_fit": {"alpha": mean[0] - beta * math.log(sizes[0]), "beta": beta, "r2": 0.95},
            "predicted": {"2x": 1 - c - a * 8000**-b, "10x": 1 - c - a * 40000**-b},
            "labels_for_next_point": 4000, "asymptote": 1 - c,
            "extrapolation": {"fit_sizes": sizes[:3], "target_size": 4000, "predicted": 1 - c - a * 4000**-b,
                              "actual": mean[-1], "abs_error": abs(1 - c - a * 4000**-b - mean[-1])},
            "png": f"learning-curve/{model}.png",
        }))  # fmt: skip
