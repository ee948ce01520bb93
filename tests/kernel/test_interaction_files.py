"""Reading historical interaction files: the three formats, stable derived ids, and which lines are broken."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.interaction_files import MalformedFile, file_format, read_interaction_file

HEADER = "user_id,item_id,kind,value,occurred_at\n"


def rows(path: Path, text: str, *, fmt: str = "csv", actor: str = "import") -> list:
    path.write_text(text, encoding="utf-8")
    return list(read_interaction_file(path, fmt=fmt, model="recsys", actor=actor))  # type: ignore[arg-type]


def test_formats_read_the_same_event(tmp_path: Path):
    from_csv = rows(tmp_path / "a.csv", HEADER + "7,10,rating,4,881250949\n")
    from_jsonl = rows(
        tmp_path / "a.jsonl",
        '{"user_id": 7, "item_id": 10, "kind": "rating", "value": 4, "occurred_at": "1997-12-04T15:55:49Z"}'
        "\n",
        fmt="jsonl",
    )
    from_udata = rows(tmp_path / "u.data", "7\t10\t4\t881250949\n", fmt="movielens")
    events = [found[0].event for found in (from_csv, from_jsonl, from_udata)]
    assert events[0] == events[1] == events[2]
    assert events[0].occurred_at == datetime(1997, 12, 4, 15, 55, 49, tzinfo=UTC)
    assert events[0].event_id.startswith("sha256-") and events[0].actor == "import"


def test_derived_ids_follow_the_content_not_the_default_actor(tmp_path: Path):
    [a, b, c] = rows(tmp_path / "a.csv", HEADER + "1,10,view,,1\n1,10,view,,1\n1,11,view,,1\n")
    assert a.event.event_id == b.event.event_id != c.event.event_id
    [other_actor] = rows(tmp_path / "b.csv", HEADER + "1,10,view,,1\n", actor="someone")
    assert other_actor.event.event_id == a.event.event_id and other_actor.event.actor == "someone"
    [given] = rows(tmp_path / "c.csv", "event_id," + HEADER + "mine,1,10,view,,1\n")
    assert given.event.event_id == "mine"


def test_rows_the_store_would_refuse_come_back_with_a_reason(tmp_path: Path):
    [bad_kind, negative] = rows(tmp_path / "a.csv", HEADER + "1,10,like,,1\n-1,10,view,,1\n")
    assert bad_kind.event is None and bad_kind.reason.startswith("kind:") and bad_kind.line == 2
    assert negative.event is None and negative.reason.startswith("user_id:") and negative.line == 3


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.csv", "user_id,item_id\n1,2\n", "a.csv line 1: lacks kind, occurred_at"),
        ("a.csv", HEADER.strip() + ",rating\n", "has unknown field(s) rating"),
        ("a.csv", HEADER + "1,10,view\n", "a.csv line 2: does not have the header's 5 fields"),
        ("a.csv", HEADER + "1,10,view,,2024-05-01 12:00\n", "has no UTC offset"),
        ("a.csv", HEADER + "1,10,view,,soon\n", "neither ISO 8601"),
        ("a.csv", HEADER + "1,10,view,,\n", "occurred_at is missing"),
        ("a.csv", HEADER + "1,1.5,view,,1\n", "item_id '1.5' is not an integer"),
        ("a.csv", HEADER + "1,1,rating,four,1\n", "value 'four' is not a number"),
        ("a.jsonl", '{"user_id": 1,\n', "a.jsonl line 1: is not valid JSON"),
        ("a.jsonl", "[1, 2]\n", "is not a JSON object"),
        ("a.jsonl", '{"user_id": true, "item_id": 1, "kind": "view", "occurred_at": 1}\n', "not an integer"),
        ("u.data", "1\t2\t3\n", "u.data line 1: has 3 fields"),
    ],
)
def test_unreadable_lines_name_the_line_and_the_fix(tmp_path: Path, name: str, text: str, message: str):
    fmt = "movielens" if name == "u.data" else file_format(Path(name), movielens=False)
    with pytest.raises(MalformedFile, match=message.replace("(", r"\(").replace(")", r"\)")):
        rows(tmp_path / name, text, fmt=fmt)


def test_non_utf8_files_are_refused(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_bytes((HEADER + "1,10,view,,1\n").encode() + b"\xff\n")
    with pytest.raises(MalformedFile, match="is not UTF-8"):
        list(read_interaction_file(path, fmt="csv", model="recsys", actor="import"))
