"""The learning-curve flow for real: Prefect tasks, the fixed holdout, JSON + PNG + Evidently + MLflow."""

from __future__ import annotations

import json

from mlflow import MlflowClient

from closedloop import tracking
from closedloop.settings import Settings
from flows.learning_curve import EXPERIMENT, curve_dir, learning_curve

SCHEMA = {
    "model", "metric", "created_at", "sizes", "seeds", "scores", "mean", "std", "power_fit", "log_fit",
    "predicted", "labels_for_next_point", "extrapolation", "png",
}  # fmt: skip


def test_spam_curve_writes_the_dashboard_json_the_plot_and_an_mlflow_run(spam_home: Settings):
    curve = learning_curve(model="spam", n_sizes=5, seeds=[0, 1, 2])

    path = curve_dir(spam_home) / "spam.json"
    written = json.loads(path.read_text())
    assert set(written) >= SCHEMA
    assert written["model"] == "spam" and written["metric"] == "f1"
    assert written["png"] == "learning-curve/spam.png"
    assert len(written["sizes"]) == 5 and written["sizes"] == sorted(written["sizes"])
    assert written["sizes"][-1] == curve["sizes"][-1]  # the whole training pool (holdout excluded)
    assert [len(row) for row in written["scores"]] == [3] * 5
    assert all(0.0 <= s <= 1.0 for row in written["scores"] for s in row)
    # The synthetic task is easy: the filter is near-perfect on the whole pool and no worse than on a tenth.
    assert written["mean"][-1] >= max(0.9, written["mean"][0])
    assert set(written["power_fit"]) >= {"a", "b", "c", "r2"}
    assert set(written["log_fit"]) >= {"alpha", "beta", "r2"}
    assert set(written["predicted"]) >= {"2x", "10x"}
    assert written["extrapolation"]["target_size"] == written["sizes"][-1]
    assert written["extrapolation"]["fit_sizes"] == written["sizes"][:3]
    label_cost = written["labels_for_next_point"]
    assert label_cost is None or (isinstance(label_cost, int) and label_cost >= 0)

    png = spam_home.home / "reports" / written["png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<html" in (curve_dir(spam_home) / "spam.html").read_text()[:2000].lower()

    client: MlflowClient = tracking.configure(spam_home)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    run = client.get_run(written["mlflow_run_id"])
    assert run.info.experiment_id == experiment.experiment_id
    assert run.data.metrics["score_full"] == written["mean"][-1]
    assert "extrapolation_abs_error" in run.data.metrics
    assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"spam.json", "spam.png", "spam.html"}
