"""`closedloop interactions import` as a user meets it: summaries, idempotent re-imports, one-line errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from closedloop import corpora
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.settings import Settings
from closedloop.store import open_store, read_interactions
from tests.factories import grouplens_zip
from tests.kernel.test_cli import run_cli

CSV = """user_id,item_id,kind,value,occurred_at,prediction_id,actor
1,10,view,,2024-05-01T12:00:00Z,,
1,10,rating,4,1714564800,p-1,
2,20,click,,2024-05-01T14:00:00+02:00,,bob
3,20,rating,,2024-05-01T12:00:00Z,,
3,20,like,,2024-05-01T12:00:00Z,,
1,10,view,,2024-05-01T12:00:00Z,,
"""


def imported(home: Path, *args: str) -> dict:
    done = run_cli("interactions", "import", *args, "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def stored_frame(home: Path):
    store = open_store(Settings(home=home).store_url)
    try:
        with store.session() as session:
            return read_interactions(session, model="recsys").frame
    finally:
        store.close()


def test_csv_import_then_reimport_stores_nothing_new(home: Path, tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text(CSV)
    first = imported(home, str(path))
    assert (first["read"], first["stored"], first["replays"], first["rejected"]) == (6, 3, 1, 2)
    assert first["reasons"][0] == "line 5: a rating needs a value from 1 to 5 (stars), got None"
    assert first["reasons"][1].startswith("line 6: kind:")
    again = imported(home, str(path))
    assert (again["stored"], again["replays"], again["rejected"]) == (0, 4, 2)
    frame = stored_frame(home)
    assert frame[["user_id", "item_id", "kind"]].values.tolist() == [
        [1, 10, "view"],
        [1, 10, "rating"],
        [2, 20, "click"],
    ]
    assert frame["occurred_at"].dt.strftime("%H:%M").tolist() == ["12:00", "12:00", "12:00"]
    assert frame["prediction_id"].tolist() == [None, "p-1", None]


def test_movielens_u_data_is_checked_against_the_cached_catalogue(home: Path, tmp_path: Path):
    archive = grouplens_zip(tmp_path / "ml-100k.zip")  # items 1..8
    corpora.fetch(Settings(home=home), MOVIELENS, source=archive)
    u_data = tmp_path / "u.data"
    ratings = zipfile.ZipFile(archive).read("ml-100k/u.data").decode()
    u_data.write_text(ratings + "1\t99\t3\t881250949\n")
    n = len(ratings.splitlines())
    summary = imported(home, "--movielens", str(u_data))
    assert (summary["read"], summary["stored"], summary["rejected"]) == (n + 1, n, 1)
    assert summary["reasons"] == [f"line {n + 1}: unknown item 99: not in the MovieLens catalogue"]
    frame = stored_frame(home)
    assert set(frame["kind"]) == {"rating"} and frame["value"].between(1, 5).all()
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text('{"user_id": 1, "item_id": 2, "kind": "dismiss", "occurred_at": 881250949}\n\n')
    assert imported(home, str(jsonl))["stored"] == 1


def test_a_malformed_line_is_one_clear_error_and_imports_nothing(home: Path, tmp_path: Path):
    path = tmp_path / "broken.csv"
    path.write_text("user_id,item_id,kind,value,occurred_at\n1,10,view,,2024-05-01T12:00:00Z\nx,10,view,,1\n")
    done = run_cli("interactions", "import", str(path), home=home)
    assert done.returncode == 2
    assert "broken.csv line 3: user_id 'x' is not an integer" in done.stderr
    assert "fix the line" in done.stderr and "Traceback" not in done.stderr
    assert stored_frame(home).empty


def test_a_kind_without_an_interaction_log_is_refused(home: Path, tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text(CSV)
    done = run_cli("interactions", "import", str(path), "--model", "spam", home=home)
    assert done.returncode == 2
    assert "spam does not learn from an interaction log" in done.stderr and "Traceback" not in done.stderr
    assert stored_frame(home).empty
