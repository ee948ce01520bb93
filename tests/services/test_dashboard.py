"""The dashboard against a real app and store: empty states, values from a populated store, the summary
JSON, escaping, and report files served only from inside HOME/reports."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Histogram
from sqlalchemy import func, select

from bench.dashboard import (
    free_port,
    populate_store,
    record_gate_history,
)
from bench.dashboard_home import record_gate_decisions, write_report_fixtures
from closedloop.kinds import load_kind
from closedloop.settings import Settings
from closedloop.store import (
    open_store,
    recent_predictions,
    record_alias_move,
    record_feedback,
    record_interactions,
)
from closedloop.store.tables import FeedbackEvent, Prediction
from services.api import create_app
from services.dashboard import queries
from services.dashboard.curves import learning_curve_chart
from services.dashboard.latency import latency_percentiles
from services.dashboard.live import live_panel
from services.dashboard.routes import environment
from tests.factories import CLIENT_KEY
from tests.kernel.store.factories import KINDS, feedback, interaction, logged, recsys_prediction
from tests.toy_kind import TOY

EMPTY_STATES = [
    "no champion yet",
    "no predictions yet",
    "no gate decisions yet — the gate judges every retrained version; run <code>closedloop retrain spam",
    "no alias moves recorded yet",
    "no drift report yet — run <code>closedloop monitor spam</code>",
    "no learning curve yet — run <code>closedloop learning-curve recsys</code>",
    "labeling is not set up yet",
]


def dashboard_client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=True, headers={"X-API-Key": CLIENT_KEY})


@pytest.fixture
def quiet_settings(home: Path) -> Settings:
    # The first read of a fresh MLflow store takes seconds on a busy machine: the page waits for it here, so
    # the panel shows the history, not "did not answer" (a registry that is down: the test further below).
    return Settings(
        home=home, reload_seconds=3600, trusted_api_keys=[CLIENT_KEY], dashboard_registry_wait_seconds=60
    )


@pytest.fixture
def populated(quiet_settings: Settings) -> Iterator[Settings]:
    store = open_store(quiet_settings.store_url)
    try:
        populate_store(store, n=600, feedback_share=0.5)
        record_gate_history(store)
        with store.session() as session:
            record_alias_move(
                session, registered_model="recommender", alias="challenger", from_version=None,
                to_version="2", actor="<b>bob</b>", reason="<script>alert(1)</script>", evidence={},
            )  # fmt: skip
    finally:
        store.close()
    record_gate_decisions(quiet_settings)
    write_report_fixtures(quiet_settings.home)
    yield quiet_settings


def test_empty_store_renders_every_empty_state(quiet_settings: Settings) -> None:
    with dashboard_client(quiet_settings) as client:
        page = client.get("/dashboard")
        summary = client.get("/dashboard/api/summary").json()
    assert page.status_code == 200
    for text in EMPTY_STATES:
        assert text in page.text
    assert [m["key"] for m in summary["models"]] == ["spam", "recsys"]
    assert all(m["live"] is None and m["champion"] is None for m in summary["models"])
    assert summary["links"] == {
        "mlflow": "http://127.0.0.1:5000/#/models",  # the registry, not MLflow 3's GenAI home
        "prefect": "http://127.0.0.1:4200",
        "evidently": "http://127.0.0.1:8001",
    }


def test_mlflow_links_open_the_model_registry(home: Path) -> None:
    settings = Settings(home=home, reload_seconds=3600, mlflow_ui_url="http://mlflow.example:5000/")
    with dashboard_client(settings) as client:
        page = client.get("/dashboard").text
    nav = re.search(r'<a href="([^"]*)"[^>]*>MLflow UI</a>', page)
    assert nav is not None and nav.group(1) == "http://mlflow.example:5000/#/models"
    # Each kind's registered model name links to its page in the registry.
    for name in ("spam-filter", "recommender"):
        assert f'<a href="http://mlflow.example:5000/#/models/{name}"' in page


def test_populated_store_shows_values(populated: Settings) -> None:
    with dashboard_client(populated) as client:
        client.post("/v1/spam/predict", json={"subject": "hi", "body": "there"})  # 503: no model, still timed
        page = client.get("/dashboard").text
        summary = client.get("/dashboard/api/summary").json()
        panels = client.get("/dashboard/panels").text
    spam, recsys = summary["models"]
    assert spam["champion"]["version"] == "2"
    assert [row["to_version"] for row in spam["alias_moves"]] == ["2", "1"]
    # The gate's history holds the refusal as well as both promotions, each with its evidence.
    decisions = spam["gate"]["decisions"]
    assert [(row["version"], row["verdict"]) for row in decisions] == [
        ("3", "refuse"),
        ("2", "promote"),
        ("1", "promote"),
    ]
    refused, promoted = decisions[0], decisions[1]
    assert refused["rule"] == "no_significant_improvement" and refused["champion_version"] == "2"
    assert (refused["delta"], refused["ci_low"], refused["ci_high"], refused["p_value"]) == (
        0.0,
        -0.004,
        0.005,
        1.0,
    )
    assert promoted | {"delta": 0.021, "ci_low": 0.008, "ci_high": 0.034, "p_value": 0.004} == promoted
    assert promoted["challenger_metrics"] == {"f1": 0.963, "fpr": 0.005} and promoted["aliases"] == [
        "champion"
    ]
    assert [row["verdict"] for row in recsys["gate"]["decisions"]] == ["refuse", "promote"]
    assert spam["latency"]["n"] >= 1 and spam["latency"]["p99"] >= spam["latency"]["p50"] > 0
    assert (
        spam["drift"]["detected"] and spam["drift"]["url"] == "/dashboard/reports/monitoring/spam/latest.html"
    )
    assert recsys["learning_curve"]["predicted"]["2x"] > recsys["learning_curve"]["points"][-1]["mean"]
    assert sum(spam["live"]["traffic"]) == spam["predictions"]
    # The SQL aggregates agree with the store's own row-level read of the same predictions.
    store = open_store(populated.store_url)
    with store.session() as session:
        frame = recent_predictions(session, model="spam", limit=10_000)
    store.close()
    labeled = frame[frame["feedback_kind"].notna()]
    said = labeled["output"].map(lambda out: bool(out["is_spam"]))
    truth = labeled["feedback_kind"] == "report_spam"
    tp, fp, fn = int((said & truth).sum()), int((said & ~truth).sum()), int((~said & truth).sum())
    assert spam["live"]["totals"]["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert spam["live"]["feedback"] == len(labeled)
    for text in ("v2", "+0.021", "[0.008, 0.034]", "refused", "[-0.004, 0.005]", "no_significant_improvement",
                 "f1 0.963", "drift detected", "text_length", "power fit", "p50"):  # fmt: skip
        assert text in page
    assert f"{spam['live']['totals']['f1']:.3f}" in page
    assert "no predictions yet" not in page and "no feedback yet" not in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bob&lt;/b&gt;" in page
    assert panels.lstrip().startswith('<p class="generated"') and "chart-data" in panels


def test_recommender_quality_counts_every_reaction_like_a_row_level_read(populated: Settings) -> None:
    with dashboard_client(populated) as client:
        live = client.get("/dashboard/api/summary").json()["models"][1]["live"]
    store = open_store(populated.store_url)
    with store.session() as session:
        rows = session.execute(
            select(Prediction.id, Prediction.output, FeedbackEvent.kind, FeedbackEvent.value).join(
                FeedbackEvent, FeedbackEvent.prediction_id == Prediction.id
            )
        ).all()
        served = session.scalar(select(func.count()).where(Prediction.model == "recsys"))
    store.close()
    # The rules, spelled out once more: clicks and 3+ stars are positive, 1-2 stars and dismissals negative.
    answered: dict[str, list[int]] = {}
    clicked: set[str] = set()
    for pid, output, kind, value in rows:
        if kind not in ("click", "rating", "dismiss"):
            continue
        liked = kind == "click" or (kind == "rating" and value["rating"] >= 3)
        item = value["item_id"] if kind == "rating" else value
        ranks = answered.setdefault(pid, [])
        if liked:
            ranks.append(output["items"].index(item) + 1)
        if kind == "click":
            clicked.add(pid)
    first = [min(ranks) for ranks in answered.values() if ranks]
    assert 0 < len(first) < len(answered)  # the fixture holds lists with a hit and answered lists without
    assert live["feedback"] == len(answered) and sum(live["traffic"]) == served
    totals = live["totals"]
    assert totals["hit_rate"] == pytest.approx(len(first) / len(answered))
    assert totals["mrr"] == pytest.approx(sum(1 / r for r in first) / len(answered))
    assert totals["ndcg"] == pytest.approx(sum(1 / math.log2(r + 1) for r in first) / len(answered))
    assert totals["ctr"] == pytest.approx(len(clicked) / served)
    assert set(live["quality"]) == {"hit_rate", "mrr", "ndcg", "ctr"}


def test_summary_marks_champion_moves_inside_the_window(quiet_settings: Settings) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    store = open_store(quiet_settings.store_url)
    try:
        with store.session() as session:
            lists = logged(
                session,
                *[
                    recsys_prediction(items=(1, 2, 3), created_at=now - timedelta(hours=h))
                    for h in (9, 5, 2, 1, 0)
                ],
            )
            liked_second = [("rating", {"item_id": 2, "rating": 5}), ("rating", {"item_id": 1, "rating": 1})]
            for prediction, answers in zip(
                lists,
                [
                    liked_second,
                    [("rating", {"item_id": 3, "rating": 2})],
                    [("dismiss", 1)],
                    [("click", 1)],
                    [],
                ],
                strict=True,
            ):
                for kind, value in answers:
                    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind=kind, value=value))
            moves = [
                ("champion", "2", 26),
                ("champion", "3", 6),
                ("challenger", "4", 4),
                ("champion", "4", 3),
            ]
            for alias, version, hours_ago in moves:
                record_alias_move(
                    session, registered_model="recommender", alias=alias, from_version=None,
                    to_version=version, actor="test", reason=f"to v{version}",
                    created_at=now - timedelta(hours=hours_ago),
                )  # fmt: skip
    finally:
        store.close()
    with dashboard_client(quiet_settings) as client:
        summary = client.get("/dashboard/api/summary").json()
        page = client.get("/dashboard").text
    spam, recsys = summary["models"]
    assert spam["live"] is None
    live = recsys["live"]
    # v2 moved before the first prediction, left of the chart; a challenger move is no champion move.
    marks = [(m["t"], m["label"], m["version"]) for m in live["champion_moves"]]
    at = [int((now - timedelta(hours=h)).timestamp()) for h in (6, 3)]
    assert marks == [(at[0], "v3", "3"), (at[1], "v4", "4")]
    assert live["t"][0] <= at[0] < at[1] <= live["t"][-1] + 3600
    embedded = re.search(r'class="chart-data" data-model="recsys">(.*?)</script>', page)
    assert embedded and json.loads(embedded[1])["live"]["champion_moves"] == live["champion_moves"]
    # Rating feedback: a 5-star second item is a hit at rank 2 despite a later 1-star; 2 stars and a
    # dismiss answer without a hit; a click on the first item is a hit at rank 1.
    assert live["feedback"] == 4
    assert live["totals"] == {"hit_rate": 0.5, "mrr": (1 / 2 + 1) / 4, "ndcg": pytest.approx(
        (1 / math.log2(3) + 1) / 4), "ctr": 0.2}  # fmt: skip


def test_recommender_quality_counts_reactions_sent_only_as_interactions(quiet_settings: Settings) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    store = open_store(quiet_settings.store_url)
    try:
        with store.session() as session:
            hours = (9, 5, 2, 1, 0)
            lists = logged(
                session,
                *[
                    recsys_prediction(user_id=h, items=(1, 2, 3), created_at=now - timedelta(hours=h))
                    for h in hours
                ],
            )
            answers: list[list[tuple[int, str, float | None]]] = [
                [(2, "rating", 5.0), (1, "rating", 1.0)],  # a hit at rank 2 despite the later 1 star
                [(3, "rating", 2.0)],  # answered, no hit
                [(1, "dismiss", None)],  # answered, no hit
                [(1, "click", None)],  # a hit at rank 1, and a click
                [],
            ]
            events = [
                interaction(user_id=h, item_id=item, kind=kind, value=value, prediction_id=prediction.id)
                for h, prediction, given in zip(hours, lists, answers, strict=True)
                for item, kind, value in given
            ]
            events.append(interaction(user_id=0, item_id=3, kind="click"))  # names no list: not a reaction
            record_interactions(session, events=events)
    finally:
        store.close()
    with dashboard_client(quiet_settings) as client:
        live = client.get("/dashboard/api/summary").json()["models"][1]["live"]
    assert live["feedback"] == 4 and sum(live["traffic"]) == 5
    counts = {name: live["counts"][name] for name in ("lists", "answered", "hits", "clicked")}
    assert counts == {"lists": 5, "answered": 4, "hits": 2, "clicked": 1}
    assert live["totals"] == {"hit_rate": 0.5, "mrr": (1 / 2 + 1) / 4, "ndcg": pytest.approx(
        (1 / math.log2(3) + 1) / 4), "ctr": 0.2}  # fmt: skip


def test_reports_are_served_only_from_inside_reports(populated: Settings) -> None:
    (populated.home / "reports" / "notes.txt").write_text("not a report")
    with dashboard_client(populated) as client:
        report = client.get("/dashboard/reports/monitoring/spam/latest.html")
        assert report.status_code == 200 and "spam drift" in report.text
        for path in [
            "../feedback.db",
            "..%2Ffeedback.db",
            "monitoring/..%2F..%2Ffeedback.db",
            "%2Fetc%2Fpasswd",
            "monitoring/spam/missing.html",
            "notes.txt",
        ]:
            assert client.get(f"/dashboard/reports/{path}").status_code == 404, path


def test_unreadable_reports_show_an_error_state(quiet_settings: Settings) -> None:
    folder = quiet_settings.home / "reports" / "monitoring" / "spam"
    folder.mkdir(parents=True)
    (folder / "latest.json").write_text("{not json")
    curves = quiet_settings.home / "reports" / "learning-curve"
    curves.mkdir(parents=True)
    (curves / "spam.json").write_text(json.dumps({"model": "spam", "sizes": [1]}))
    with dashboard_client(quiet_settings) as client:
        page = client.get("/dashboard")
    assert page.status_code == 200
    assert "the drift report cannot be read" in page.text
    assert "the learning curve cannot be read" in page.text


def test_latency_percentiles_interpolate_like_prometheus() -> None:
    histogram = Histogram(
        "t", "t", ["method", "route", "status"], buckets=(0.01, 0.1), registry=CollectorRegistry()
    )
    for seconds in [0.005] * 50 + [0.05] * 50:
        histogram.labels("POST", "/v1/recommendations", "200").observe(seconds)
    result = latency_percentiles(histogram, routes=["/v1/recommendations"])
    assert result is not None and result["n"] == 100
    assert result["p50"] == pytest.approx(10.0) and result["p99"] == pytest.approx(98.2)
    assert latency_percentiles(histogram, routes=["/v1/spam/predict", "/v1/spam/predict:batch"]) is None
    assert latency_percentiles(histogram, routes=[]) is None  # a kind that serves no route of its own


def test_learning_curve_chart_draws_the_flows_fits_and_the_extrapolation() -> None:
    a, b, c = 2.0, 0.5, 0.05  # the flow's power law: score(n) = 1 − (a·n^(−b) + c)

    def f(n: float) -> float:
        return 1 - (a * n**-b + c)

    sizes = [100, 400, 1600]
    chart = learning_curve_chart({
        "sizes": sizes, "mean": [f(s) for s in sizes], "std": [0.01] * 3,
        "power_fit": {"a": a, "b": b, "c": c, "r2": 1.0}, "log_fit": {"alpha": 0.1, "beta": 0.1},
        "predicted": {"2x": f(3200), "10x": f(16000)},
        "extrapolation": {"target_size": 1600, "predicted": 0.9, "actual": f(1600)},
    })  # fmt: skip
    at = {x: i for i, x in enumerate(chart["x"])}
    assert chart["power"][at[16000.0]] == pytest.approx(f(16000)) == chart["predicted"][at[16000.0]]
    assert chart["log"][at[100.0]] == pytest.approx(0.1 + 0.1 * math.log(100))
    assert chart["mean"][at[400.0]] == pytest.approx(f(400)) and chart["high"][at[400.0]] == pytest.approx(
        f(400) + 0.01
    )
    assert chart["extrapolated"][at[1600.0]] == 0.9 and chart["actual"][at[1600.0]] == pytest.approx(f(1600))
    assert sum(v is not None for v in chart["extrapolated"]) == 1
    # A report without usable fit parameters still draws its points.
    bare = learning_curve_chart(
        {"sizes": sizes, "mean": [0.5] * 3, "std": [0.0] * 3, "power_fit": {"a": "x"}}
    )
    assert set(bare["power"]) == {None} and bare["mean"][0] == 0.5


def test_gate_history_says_when_mlflow_does_not_answer(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real closed port: MLflow's HTTP client fails to connect (its retries are off, so this stays short).
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    down = Settings(
        home=home, reload_seconds=3600, mlflow_tracking_uri=f"http://user:secret@127.0.0.1:{free_port()}"
    )
    with dashboard_client(down) as client:
        page = client.get("/dashboard")
        summary = client.get("/dashboard/api/summary").json()
    assert page.status_code == 200
    error = summary["models"][0]["gate"]["error"]
    assert error.startswith("MLflow at http://127.0.0.1:") and "secret" not in page.text
    assert "check that it is up and that CLOSEDLOOP_MLFLOW_TRACKING_URI points at it" in page.text


def test_a_registered_kind_gets_its_own_panel_in_kinds_order(home: Path) -> None:
    """A kind the dashboard knows nothing about beyond the contract (registered as settings' `kinds`, as
    `CLOSEDLOOP_KINDS` does) gets a panel of its own, titled by its config, after the installed kinds; what
    it does not support (drift monitoring, a learning curve) is said, not left blank."""
    settings = Settings(home=home, reload_seconds=3600, kinds=[TOY])
    with dashboard_client(settings) as client:
        summary = client.get("/dashboard/api/summary").json()
        page = client.get("/dashboard").text
    assert [m["key"] for m in summary["models"]] == ["spam", "recsys", "toy"]
    toy = summary["models"][2]
    assert (toy["title"], toy["registered_name"], toy["routes"]) == ("Toy model", "toy-model", [])
    assert not toy["monitored"] and not toy["has_learning_curve"]
    assert toy["live"] is None and toy["latency"] is None and toy["gate"] == {"decisions": []}
    sections = re.findall(r'<section class="model" id="model-(\w+)"', page)
    assert sections == ["spam", "recsys", "toy"]
    panel = re.search(r'<section class="model" id="model-toy".*?</section>', page, re.S)
    assert panel is not None
    text = panel[0]
    assert '<h2 id="title-toy">Toy model <small><a href="http://127.0.0.1:5000/#/models/toy-model"' in text
    assert "Toy model is not monitored" in text and "Toy model has no learning curve" in text
    assert "no predictions yet — send prediction requests" in text
    assert "no latency: Toy model serves no prediction route of its own" in text
    assert "closedloop retrain toy" in text  # the gate panel's empty state names the kind
    assert "no drift report yet" not in text and "no learning curve yet" not in text


def test_a_kind_without_live_quality_shows_its_traffic_and_says_so(quiet_settings: Settings) -> None:
    toy = load_kind(TOY)
    now = datetime.now(UTC)
    store = open_store(quiet_settings.store_url)
    try:
        with store.session() as session:
            active = queries.Activity(n=3, first=now - timedelta(hours=2), last=now)
            live = live_panel(session, kind=toy, activity=active, moves=[])
    finally:
        store.close()
    assert live is not None and live["measured"] is False
    assert live["totals"] is None and live["feedback"] == 0 and live["family"] is None
    model = {"key": "toy", "title": "Toy model", "live": live, "predictions": 3, "routes": [], "latency": {}}
    html = environment.get_template("_live.html").render(model=model)
    assert "live quality is not measured for Toy model" in html and 'data-chart="traffic"' in html
    assert 'data-chart="quality"' not in html
