"""A fourth model kind, written here as one module and registered by configuration alone, goes round the
whole loop with no change to closedloop: the retrain flow trains and promotes it, the API serves its
route, feedback on its predictions becomes labels, and the next retrain judges a challenger on them.

The kind is a `TabularClassifier` over scikit-learn's bundled wine set (class 0 against the rest), so it
says only what its data is; everything else comes from the tabular family."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prefect.testing.utilities import prefect_test_harness

from closedloop.kinds import UnknownKind, _registered, kind, kinds
from closedloop.retraining.pipeline import Watermarks
from closedloop.settings import Settings, get_settings
from closedloop.store import derive_feedback_labels, open_store
from closedloop.store.snapshots import read_training_labels
from flows.retrain import retrain
from services.api import create_app

WINE = '''
    """Wine of cultivar 0, or not, from 13 chemical measurements (scikit-learn's bundled wine set)."""

    import pandas as pd
    from sklearn.datasets import load_wine

    from closedloop.gate import Floor
    from closedloop.kinds import Answer, KindConfig, LabelingTask
    from closedloop.kinds.tabular import Table, TabularClassifier

    FEATURES = tuple(name.replace("/", "_") for name in load_wine().feature_names)


    class Cultivar(TabularClassifier):
        config = KindConfig(
            name="cultivar",
            registered_name="cultivar-classifier",
            title="Cultivar classifier",
            metric="f1",
            candidates=("logreg", "forest"),
            default_candidates=("logreg",),
            feedback_kinds=("is_first", "is_other"),
            label_values=(0, 1),
            task=LabelingTask(
                name="cultivar",
                answers=(Answer(1, "y", "first cultivar"), Answer(0, "n", "another")),
                question="Is this wine of the first cultivar?",
            ),
            floors=(Floor("f1", at_least=0.5),),
        )
        table = Table(features=FEATURES)

        def load(self, settings):
            data = load_wine(as_frame=True)
            cases = data.frame.copy()
            cases.columns = [*FEATURES, "label"]
            cases["label"] = (cases["label"] == 0).astype(int)
            return cases.sample(frac=1.0, random_state=1).reset_index(drop=True)


    KIND = Cultivar()
'''


@pytest.fixture
def wine_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    package = tmp_path / "kinds"
    package.mkdir()
    (package / "cultivar_kind.py").write_text(textwrap.dedent(WINE))
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.setenv("CLOSEDLOOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLOSEDLOOP_KINDS", '["cultivar_kind:KIND"]')
    monkeypatch.setenv("CLOSEDLOOP_ENABLED_KINDS", '["cultivar"]')
    monkeypatch.setenv("CLOSEDLOOP_GATE_N_BOOTSTRAP", "300")
    monkeypatch.setenv("CLOSEDLOOP_GATE_MIN_WINDOW", "20")
    monkeypatch.setenv("CLOSEDLOOP_BASE_FRACTION", "0.5")  # the first half is the base; users see the rest
    monkeypatch.setenv("CLOSEDLOOP_TRUSTED_API_KEYS", '["wine-shop-key"]')  # its users' reports are votes
    get_settings.cache_clear()
    with prefect_test_harness(server_startup_timeout=120):
        yield get_settings()
    get_settings.cache_clear()
    sys.modules.pop("cultivar_kind", None)


def test_a_kind_registered_by_configuration_goes_round_the_loop(wine_home: Settings):
    assert [kind.name for kind in kinds()] == ["cultivar"]

    first = retrain(model="cultivar", reason="test")
    assert first.promoted, first.reason
    assert first.version == "1"

    app = create_app(wine_home)
    headers = {"X-API-Key": "wine-shop-key"}
    cultivar = kinds()[0]
    cases = cultivar.cases(wine_home).iloc[89:]  # after the base period (89 of 178 wines)
    features = list(cultivar.table.features)
    with TestClient(app) as client:
        deadline = time.monotonic() + 60  # the champion loads in the background
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, client.get("/readyz").text
            time.sleep(0.05)
        assert "/v1/cultivar/predict" in client.get("/openapi.json").json()["paths"]
        refused = client.post("/v1/cultivar/predict", json={"features": {"alcohol": 13.0}}, headers=headers)
        assert refused.status_code == 422 and "missing" in refused.json()["detail"]

        # Users report the truth on 60 wines the champion never saw.
        for i, row in cases.head(60).iterrows():
            answer = client.post(
                "/v1/cultivar/predict", json={"features": row[features].to_dict()}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            served = answer.json()
            assert served["model_version"] == "1" and 0.0 <= served["probability"] <= 1.0
            report = "is_first" if row["label"] == 1 else "is_other"
            ack = client.post(
                "/v1/feedback",
                json={"event_id": f"e-{i}", "prediction_id": served["prediction_id"], "kind": report},
                headers=headers,
            )
            assert ack.status_code == 202, ack.text
        wrong = client.post(
            "/v1/feedback",
            json={"event_id": "bad", "prediction_id": served["prediction_id"], "kind": "report_spam"},
            headers=headers,
        )
        assert wrong.status_code == 422

    store = open_store(wine_home.store_url)
    with store.session() as session:
        derived = derive_feedback_labels(session, kind=cultivar, trust="unanimous")
        labels = read_training_labels(session, kind=cultivar).frame
    store.close()
    assert len(derived.written) == 60 and len(labels) == 60
    assert labels["label"].tolist() == cases.head(60)["label"].tolist()

    # The next retrain trains on the base cases the champion saw plus what is older than the window, and
    # is judged against the champion on the newest reports (the window), never on data newer than itself.
    second = retrain(model="cultivar", reason="test")
    assert second.version == "2" and second.champion == "1"
    window = second.evidence["window"]
    assert window["n"] == 30, second.evidence
    assert second.reason


def test_an_installed_package_registers_its_kind_by_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """What `pip install` of a kind package leaves: a module, and a dist-info naming it in the group."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "cultivar_kind.py").write_text(textwrap.dedent(WINE))
    info = site / "closedloop_cultivar-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: closedloop-cultivar\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[closedloop.kinds]\ncultivar = cultivar_kind:KIND\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("CLOSEDLOOP_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    _registered.cache_clear()
    try:
        assert [k.name for k in kinds()] == ["spam", "recsys", "cultivar"]
        assert kind("cultivar-classifier").name == "cultivar"
        monkeypatch.setenv("CLOSEDLOOP_ENABLED_KINDS", '["cultivar", "spam"]')
        get_settings.cache_clear()
        assert [k.name for k in kinds()] == ["spam", "cultivar"]
        monkeypatch.setenv("CLOSEDLOOP_ENABLED_KINDS", '["wine"]')
        get_settings.cache_clear()
        with pytest.raises(UnknownKind, match=r"enabled kinds \['wine'\] are not registered"):
            kinds()
    finally:
        get_settings.cache_clear()
        _registered.cache_clear()
        sys.modules.pop("cultivar_kind", None)


def test_the_example_tumor_kind_trains_and_clears_its_floors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The README's example kind (`examples/tumor-kind`) is a working kind, not a sketch."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[3] / "examples" / "tumor-kind"))
    monkeypatch.setenv("CLOSEDLOOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLOSEDLOOP_KINDS", '["closedloop_tumor:KIND"]')
    monkeypatch.setenv("CLOSEDLOOP_ENABLED_KINDS", '["tumor"]')
    monkeypatch.setenv("CLOSEDLOOP_TARGET_FPR", "0.05")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        tumor = kind("tumor")
        store = open_store(settings.store_url)
        snapshot = tumor.snapshot(settings, store, trained_on=Watermarks())
        store.close()
        assert len(snapshot.train) + len(snapshot.holdout) == 569
        candidate = tumor.train(snapshot, "logreg", settings)
        decision = tumor.judge(candidate, None, snapshot, settings)
        assert decision.promote, decision.reason
        assert candidate.holdout_metrics["holdout_f1"] >= 0.85
        assert candidate.holdout_metrics["holdout_fpr"] <= 0.10
    finally:
        get_settings.cache_clear()
        sys.modules.pop("closedloop_tumor", None)
