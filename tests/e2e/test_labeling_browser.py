"""The labeling UI in a real browser: Debian's Chromium driven by Playwright against the real app (uvicorn,
child process) over a real SQLite store. Two annotators label the same three messages with the keyboard
(one undoes a slip), disagree on one, an adjudicator settles it, and the consensus labels are in the store
and in the next retrain's training snapshot. A hostile message body is shown as text and runs no script.

Screenshots land in `test-artifacts/`: labeling-workspace.png (the hostile message, as text),
labeling-relevance.png (a movie with the user's history), labeling-adjudicate.png and labeling-agreement.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.dashboard import CHROMIUM_ARGS, free_port, serve
from closedloop import corpora
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.kinds.spam.snapshot import build_spam_snapshot
from closedloop.labeling import create_user, item_describer, refill_queue
from closedloop.settings import Settings, get_settings
from closedloop.store import open_store, read_training_labels
from models.labeling import QueuePolicy
from tests.factories import grouplens_zip, synthetic_spam_corpus
from tests.kernel.store.factories import RECSYS, SPAM, logged, recsys_prediction, spam_prediction

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">Reply & win'
MESSAGES = {  # subject -> (body, model score); the queue serves the most uncertain first
    "Cheap loans today": ("Apply now, no checks, money wired tonight.", 0.52),
    "Re: build failure": ("The nightly build broke on trunk; patch attached.", 0.45),
    "<b>Prize</b> inside": (HOSTILE, 0.60),
}
MOVIE = "Movie 3"  # recommended to user 1; the annotators grade it 3 and 4: both "relevant"
ALICE = {"Cheap loans today": "s", "Re: build failure": "h", "<b>Prize</b> inside": "s", MOVIE: "3"}
BOB = {**ALICE, "<b>Prize</b> inside": "h", MOVIE: "4"}  # the disagreement, and a grade that still agrees
WORKSPACE = "document.getElementById('workspace')"

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A home with small corpora (spam for the snapshot, MovieLens for titles and histories), three
    accounts, three queued messages and one queued recommendation."""
    monkeypatch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", "8192")  # here and in the served app
    get_settings.cache_clear()
    settings = Settings(home=home)
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=40, n_spam=20)
    )
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml-100k.zip"))
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            for name, role in (("alice", "annotator"), ("bob", "annotator"), ("carol", "adjudicator")):
                create_user(session, username=name, password=PASSWORD, role=role)  # type: ignore[arg-type]
            logged(session, *(spam_prediction(subject=s, body=b, score=p) for s, (b, p) in MESSAGES.items()))
            messages = QueuePolicy(batch_size=10, random_share=0.0)
            assert refill_queue(session, model="spam", policy=messages) == 3
            logged(session, recsys_prediction(user_id=1, items=(3,)))
            movies = QueuePolicy(batch_size=10, random_share=1.0)  # recommendations are picked at random
            assert (
                refill_queue(
                    session,
                    model="recsys",
                    policy=movies,
                    describe=item_describer(settings, "recsys", sessions=store.session),
                )
                == 1
            )
    finally:
        store.close()
    return settings


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with serve(settings.home, free_port()) as base:
        yield base


def log_in(browser: Any, base: str, name: str, errors: list[str]) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("console", lambda m: errors.append(f"{name} console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"{name} page error: {error}"))
    page.goto(f"{base}/label")  # anonymous: sent to the login form, and back here after it
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/label")
    return page


def press(page: Any, key: str) -> None:
    """Press `key` and wait until the page has saved the answer and shown the next item (or none)."""
    before = page.evaluate(f"{WORKSPACE}.dataset.itemId")
    page.keyboard.press(key)
    page.wait_for_function(
        f"id => {WORKSPACE}.dataset.busy === 'false' && ({WORKSPACE}.dataset.itemId !== id"
        " || !document.getElementById('empty').hidden)",
        arg=before,
    )


def label_queue(page: Any, keys: dict[str, str], *, screenshot: bool = False) -> None:
    page.wait_for_selector("#item:not([hidden])")
    seen = []
    while page.locator("#empty").is_hidden():
        if page.locator("#item-question").is_visible():  # a movie: what is judged is its title
            subject = page.locator("#item-title").text_content()
            assert page.locator("#item-history-list li").count() > 0  # the user's recent ratings
            assert page.locator("#item-fields").is_hidden() and page.locator("#item-body").is_hidden()
            if screenshot:
                page.screenshot(path=str(ARTIFACTS / "labeling-relevance.png"), full_page=True)
        else:  # a message: its fields (subject line, sender) and body
            assert page.locator("#item-fields dt").all_inner_texts() == ["Subject", "From"]
            subject = page.locator("#item-fields dd").first.text_content()
        seen.append(subject)
        if subject == "<b>Prize</b> inside":
            assert page.locator("#item-body").text_content() == HOSTILE  # the markup, as text
            assert page.locator("#item img, #item script, #item b").count() == 0
            if screenshot:
                page.screenshot(path=str(ARTIFACTS / "labeling-workspace.png"), full_page=True)
        if subject == "Cheap loans today" and screenshot:  # a slip, taken back with U
            item_id = page.evaluate(f"{WORKSPACE}.dataset.itemId")
            press(page, "h")
            page.keyboard.press("u")
            page.wait_for_function(
                f"id => {WORKSPACE}.dataset.busy === 'false' && {WORKSPACE}.dataset.itemId === id",
                arg=item_id,
            )
            assert "withdrawn" in page.locator("#last").text_content()
        assert page.locator("#prediction, [data-prediction]").count() == 0  # nothing to anchor on
        press(page, keys[subject])
        assert "model: " in page.locator("#last").text_content()  # revealed once the label is saved
    assert sorted(seen) == sorted([*MESSAGES, MOVIE])


def test_two_annotators_and_an_adjudicator(chromium: Path, base_url: str, settings: Settings) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            alice, bob = log_in(browser, base_url, "alice", errors), log_in(browser, base_url, "bob", errors)
            label_queue(alice, ALICE, screenshot=True)
            label_queue(bob, BOB)
            assert alice.evaluate("window.pwned") is None and bob.evaluate("window.pwned") is None

            carol = log_in(browser, base_url, "carol", errors)
            carol.goto(f"{base_url}/label/adjudicate")
            dispute = carol.locator(".dispute")
            assert dispute.count() == 1
            text = dispute.inner_text()
            assert "alice: spam" in text and "bob: ham" in text and HOSTILE in text
            assert carol.evaluate("window.pwned") is None
            carol.screenshot(path=str(ARTIFACTS / "labeling-adjudicate.png"), full_page=True)
            dispute.get_by_role("button", name="decide: spam").click()
            carol.wait_for_url("**/label/adjudicate?decided=*")
            assert "No disputed items" in carol.locator("main").inner_text()
            carol.goto(f"{base_url}/label/agreement")
            # kappa is over the raw labels, where grades 3 and 4 differ: 2 of 4 equal (p_o = 1/2); chance
            # p_e = (2/4)(1/4) + (1/4)(2/4) = 1/4 (spam 1, spam 0); kappa = (1/2 - 1/4) / (3/4) = 1/3
            assert carol.locator("#pairs td").all_inner_texts() == ["alice", "bob", "4", "0.333"]
            carol.screenshot(path=str(ARTIFACTS / "labeling-agreement.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []

    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            labels = read_training_labels(session, kind=SPAM).frame
            movies = read_training_labels(session, kind=RECSYS).frame
        snapshot = build_spam_snapshot(settings, store)
    finally:
        store.close()
    by_subject = {row.subject: (row.label, row.source) for row in labels.itertuples()}
    assert by_subject == {
        "Cheap loans today": (1, "annotation"),
        "Re: build failure": (0, "annotation"),
        "<b>Prize</b> inside": (1, "adjudication"),
    }
    # Every consensus label reaches the snapshot: the newest half as the gate's window, the rest trained on.
    assert (
        len(snapshot.window) == 1
        and snapshot.window["label_id"].tolist() == labels["label_id"].tail(1).tolist()
    )
    full = snapshot.refit()
    trained = full.train[full.train["source"] != "corpus"]
    assert sorted(zip(trained["text"], trained["label"], trained["source"], strict=True)) == sorted(
        zip(labels["text"], labels["label"], labels["source"], strict=True)
    )
    assert snapshot.lineage["feedback_watermark"]["count"] == 3
    assert movies[["user_id", "item_id", "label", "source"]].values.tolist() == [[1, 3, 1, "annotation"]]
