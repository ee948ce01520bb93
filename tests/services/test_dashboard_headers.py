"""The public dashboard (issue 13): annotators appear under stable pseudonyms, never their account names,
and every dashboard answer forbids framing; the page and its fragments allow no inline or foreign script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.dashboard_home import write_report_fixtures
from closedloop.labeling import QueuePolicy, create_user, next_item, refill_queue, submit_label
from closedloop.settings import Settings, get_settings
from closedloop.store import open_store
from services.api import create_app
from tests.kernel.store.factories import logged, spam_prediction

NAMES = ("zelda.secret", "yann.private")  # created in this order: "annotator 1", "annotator 2"


@pytest.fixture
def labelled(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A store where two annotators labelled two spam items (one agreed, one disputed)."""
    monkeypatch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", "8192")
    get_settings.cache_clear()
    settings = Settings(home=home, reload_seconds=3600)
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            logged(session, *(spam_prediction(subject=f"offer {i}", score=0.5) for i in range(2)))
            refill_queue(session, model="spam", policy=QueuePolicy(batch_size=5, random_share=0.0))
            users = [
                create_user(session, username=n, password="correct horse", role="annotator") for n in NAMES
            ]
            for labels in ((1, 1), (1, 0)):
                for user, label in zip(users, labels, strict=True):
                    item = next_item(session, user=user, model="spam", gold_rate=0.0)
                    assert item is not None
                    submit_label(session, item_id=item.id, user=user, label=label)
    finally:
        store.close()
    write_report_fixtures(settings.home)
    yield settings
    get_settings.cache_clear()


def test_the_anonymous_summary_names_no_annotator(labelled: Settings) -> None:
    with TestClient(create_app(labelled)) as client:
        summary = client.get("/dashboard/api/summary")
        page = client.get("/dashboard").text
    assert summary.status_code == 200
    labeling = next(m for m in summary.json()["models"] if m["key"] == "spam")["labeling"]
    assert [row["annotator"] for row in labeling["annotators"]] == ["annotator 1", "annotator 2"]
    assert [(p["annotator_a"], p["annotator_b"]) for p in labeling["pairs"]] == [
        ("annotator 1", "annotator 2")
    ]
    for name in NAMES:
        assert name not in summary.text and name not in page
    assert "annotator 1" in page


def test_dashboard_answers_forbid_framing_and_inline_script(labelled: Settings) -> None:
    with TestClient(create_app(labelled)) as client:
        answers = {
            path: client.get(path) for path in ("/dashboard", "/dashboard/panels", "/dashboard/api/summary")
        }
        latest = json.loads((labelled.reports_dir / "monitoring" / "spam" / "latest.json").read_text())
        report = client.get(f"/dashboard/reports/{latest['html']}")
    for path, answer in answers.items():
        assert answer.status_code == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy and "http" not in policy, path
        assert answer.headers["X-Frame-Options"] == "DENY", path
    assert report.status_code == 200
    assert report.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in report.headers["Content-Security-Policy"]


def test_labeling_pages_forbid_framing(labelled: Settings) -> None:
    with TestClient(create_app(labelled)) as client:
        answer = client.get("/label/login")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
