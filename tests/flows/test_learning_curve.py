"""The learning-curve flow for real: Prefect tasks, the fixed holdout, JSON + PNG + Evidently + MLflow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from closedloop.registry import tracking
from closedloop.settings import Settings, get_settings
from flows.learning_curve import EXPERIMENT, NoLearningCurve, curve_dir, learning_curve
from tests.toy_kind import TOY

SCHEMA = {
    "model", "metric", "created_at", "sizes", "seeds", "scores", "mean", "std", "power_fit", "log_fit",
    "predicted", "labels_for_next_point", "extrapolation", "png",
}  # fmt: skip


def test_spam_curve_writes_the_dashboard_json_the_plot_and_an_mlflow_run(spam_home: Settings):
    curve = learning_curve(model="spam", n_sizes=5, min_seeds=2, scale_seeds=True)

    path = curve_dir(spam_home) / "spam.json"
    written = json.loads(path.read_text())
    assert set(written) >= SCHEMA
    assert written["model"] == "spam" and written["metric"] == "f1"
    assert written["png"] == "learning-curve/spam.png"
    assert len(written["sizes"]) == 5 and written["sizes"] == sorted(written["sizes"])
    assert written["sizes"][-1] == curve["sizes"][-1]  # the whole training pool (holdout excluded)
    # More seeds where the data is small: round(2·√(n_max/n)), never fewer than 2.
    expected = [max(2, round(2 * (written["sizes"][-1] / n) ** 0.5)) for n in written["sizes"]]
    assert [len(row) for row in written["scores"]] == expected and expected[0] > expected[-1] == 2
    assert written["seeds"] == [list(range(k)) for k in expected]
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


def test_recsys_curve_runs_the_flow_on_interactions_and_scores_ndcg(recsys_home: Settings):
    curve = learning_curve(model="recsys", n_sizes=4, min_seeds=3, scale_seeds=False)

    written = json.loads((curve_dir(recsys_home) / "recsys.json").read_text())
    assert set(written) >= SCHEMA
    assert written["model"] == "recsys" and written["metric"] == "ndcg@10" and written["estimator"] == "knn"
    n_users = 80
    # From one interaction per user up to the whole training part of the fixed split.
    assert len(written["sizes"]) == 4 and written["sizes"][0] >= n_users
    assert written["sizes"] == sorted(written["sizes"]) and written["sizes"][-1] == curve["sizes"][-1]
    assert [len(row) for row in written["scores"]] == [3] * 4 and written["seeds"] == [[0, 1, 2]] * 4
    assert all(0.0 <= s <= 1.0 for row in written["scores"] for s in row)
    # The largest size is the whole pool: every seed trains on the same interactions, so they agree.
    assert written["std"][-1] == pytest.approx(0.0, abs=1e-12)
    assert written["mean"][-1] > written["mean"][0]  # more interactions rank the held-out ones better
    assert written["extrapolation"]["target_size"] == written["sizes"][-1]
    assert written["extrapolation"]["fit_sizes"] == written["sizes"][:3]
    png = recsys_home.home / "reports" / written["png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run = tracking.configure(recsys_home).get_run(written["mlflow_run_id"])
    assert run.data.params["model"] == "recsys" and run.data.metrics["score_full"] == written["mean"][-1]


@pytest.fixture
def toy_home(home: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None) -> Iterator[Settings]:
    """A home where the tests' toy kind is registered beside the installed ones (`CLOSEDLOOP_KINDS`)."""
    monkeypatch.setenv("CLOSEDLOOP_KINDS", json.dumps([TOY]))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_a_kind_without_a_curve_says_so_and_an_estimator_must_be_the_kinds(toy_home: Settings):
    with pytest.raises(NoLearningCurve, match="toy has no learning curve: the Toy model kind defines no"):
        learning_curve(model="toy")
    with pytest.raises(ValueError, match="spam's learning curve trains one of baseline, torch, not 'knn'"):
        learning_curve(model="spam", estimator="knn")
    assert not curve_dir(toy_home).exists()
