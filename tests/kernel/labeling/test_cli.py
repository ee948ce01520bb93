"""`closedloop users` and `closedloop labels export` as a user meets them: a subprocess, exit codes and
one-line errors, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from closedloop.labeling import create_user
from closedloop.settings import Settings
from closedloop.store import open_store
from tests.kernel.labeling.handed import label_handed
from tests.kernel.store.factories import logged, spam_prediction

pytestmark = pytest.mark.slow  # each command is a fresh interpreter importing the whole CLI (mlflow too)


def run_cli(*args: str, home: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CLOSEDLOOP_HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
    )


def test_users_add_list_disable(home: Path) -> None:
    added = run_cli("users", "add", "ann", "--json", home=home, CLOSEDLOOP_NEW_USER_PASSWORD="long enough")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["role"] == "annotator"
    prompted = run_cli("users", "add", "boss", "--role", "admin", home=home, stdin="s3cret-pw\ns3cret-pw\n")
    assert prompted.returncode == 0, prompted.stderr

    again = run_cli("users", "add", "ann", "--password", "long enough", home=home)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr

    ghost = run_cli("users", "disable", "ghost", home=home)
    assert ghost.returncode == 2 and "closedloop users list" in ghost.stderr
    assert run_cli("users", "disable", "ann", home=home).returncode == 0
    listed = json.loads(run_cli("users", "list", "--json", home=home).stdout)["users"]
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == [
        ("ann", "annotator", True),
        ("boss", "admin", False),
    ]


def test_labels_refill_and_export(home: Path, tmp_path: Path) -> None:
    store = open_store(Settings(home=home).store_url)
    try:
        with store.session() as session:
            logged(session, spam_prediction(subject="Win", score=0.5))
    finally:
        store.close()
    refilled = run_cli("labels", "refill", "spam", "--random-share", "0", home=home)
    assert refilled.returncode == 0, refilled.stderr
    assert "queued 1 items; 1 waiting" in refilled.stdout
    store = open_store(Settings(home=home).store_url)
    try:
        with store.session() as session:
            for name in ("ann", "bob"):
                user = create_user(session, username=name, password="long enough", role="annotator")
                label_handed(session, item_id=1, user=user, label=1)
    finally:
        store.close()

    jsonl = run_cli("labels", "export", "--format", "jsonl", "--model", "spam", home=home)
    assert jsonl.returncode == 0, jsonl.stderr
    [record] = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert record["source"] == "annotation" and record["subject"]["subject"] == "Win"
    assert [a["user"] for a in record["provenance"]["annotators"]] == ["ann", "bob"]

    target = tmp_path / "labels.csv"
    written = run_cli("labels", "export", "--format", "csv", "--human-only", "-o", str(target), home=home)
    assert written.returncode == 0 and "wrote 1 labels" in written.stderr
    [row] = list(csv.DictReader(io.StringIO(target.read_text())))
    assert row["label"] == "1" and json.loads(row["provenance"])["item_id"] == 1


def test_labels_name_a_registered_kind(home: Path) -> None:
    refill = run_cli("labels", "refill", "gpt", home=home)
    export = run_cli("labels", "export", "--model", "gpt", home=home)
    for done in (refill, export):
        message = " ".join(done.stderr.replace("│", " ").split())  # the error panel wraps at 80 columns
        assert done.returncode == 2 and "registered kinds: spam, recsys" in message
        assert "Traceback" not in done.stderr
    described = run_cli("labels", "refill", "recsys", home=home)
    assert described.returncode == 0, described.stderr
    assert "recsys's data is not cached: items show ids only (`closedloop data fetch recsys`)" in " ".join(
        described.stderr.split()
    )
