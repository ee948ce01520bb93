"""read_corpus on tiny fake npm and Apache layouts; deduplicate; the shared model-input text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.spam.corpus import (
    COLUMNS,
    CorpusLayoutError,
    content_sha256,
    deduplicate,
    label_for_group,
    message_text,
    read_corpus,
)
from tests.models.spam.factories import raw_message, write_apache_tarball, write_npm_layout

HAM = [raw_message("Meeting at noon.", subject="lunch"), raw_message("Patch attached.", subject="kernel")]
SPAM = [raw_message("Click for free money!", subject="WIN", date=None, envelope=None)]


def _check_schema(frame: pd.DataFrame) -> None:
    assert tuple(frame.columns) == COLUMNS
    assert frame["message_id"].is_unique
    assert str(frame["label"].dtype) == "int8"
    assert str(frame["date"].dtype) == "datetime64[ns, UTC]"
    assert set(frame["label"]) <= {0, 1}


@pytest.mark.parametrize("subdir", ["package", "package/data"])
def test_npm_layout_from_package_or_data_dir(tmp_path: Path, subdir: str) -> None:
    write_npm_layout(tmp_path, {"easy-ham-1": HAM, "spam-2": SPAM})
    frame = read_corpus(tmp_path / subdir)
    _check_schema(frame)
    assert len(frame) == 3  # the .json twins and data.js are not messages
    assert frame.groupby("group")["label"].first().to_dict() == {"easy-ham-1": 0, "spam-2": 1}
    spam = frame.loc[frame["label"] == 1].iloc[0]
    assert spam["subject"] == "WIN" and spam["body"] == "Click for free money!"
    assert pd.isna(spam["date"])  # no Date header, no envelope: NaT, not a guess
    assert frame["message_id"].str.match(r"^(easy-ham-1|spam-2)/\d{5}\.[0-9a-f]{32}$").all()
    ham = frame.loc[frame["subject"] == "lunch"].iloc[0]
    assert ham["date"] == pd.Timestamp("2002-08-22 12:17:21", tz="UTC")
    assert ham["sender_domain"] == "example.com"


def test_apache_tarballs_skip_cmds_and_use_the_newest_release(tmp_path: Path) -> None:
    write_apache_tarball(tmp_path / "20021010_easy_ham.tar.bz2", "easy_ham", HAM)
    write_apache_tarball(tmp_path / "20021010_spam.tar.bz2", "spam", SPAM)
    newer_spam = [*SPAM, raw_message("Cheap credit offer", subject="credit")]
    write_apache_tarball(tmp_path / "20030228_spam.tar.bz2", "spam", newer_spam)
    frame = read_corpus(tmp_path)
    _check_schema(frame)
    assert frame["group"].value_counts().to_dict() == {"easy_ham": 2, "spam": 2}  # not 3: old spam skipped
    assert not frame["message_id"].str.endswith("cmds").any()
    assert set(frame.loc[frame["label"] == 1, "subject"]) == {"WIN", "credit"}


def test_single_tarball_and_extracted_folder(tmp_path: Path) -> None:
    tarball = write_apache_tarball(tmp_path / "20030228_spam_2.tar.bz2", "spam_2", SPAM)
    assert read_corpus(tarball)["group"].tolist() == ["spam_2"]
    folder = tmp_path / "extracted" / "hard_ham"
    folder.mkdir(parents=True)
    (folder / "00001.0123456789abcdef0123456789abcdef").write_bytes(HAM[0])
    (folder / "cmds").write_text("mv a b\n")
    frame = read_corpus(tmp_path / "extracted")
    assert frame["message_id"].tolist() == ["hard_ham/00001.0123456789abcdef0123456789abcdef"]
    assert frame["label"].tolist() == [0]


def test_empty_root_gives_empty_frame_and_missing_root_raises(tmp_path: Path) -> None:
    frame = read_corpus(tmp_path)
    assert frame.empty
    _check_schema(frame)
    with pytest.raises(FileNotFoundError):
        read_corpus(tmp_path / "nope")


def test_group_labels() -> None:
    assert [label_for_group(g) for g in ("spam", "spam_2", "spam-1", "easy_ham", "hard-ham-1")] == [
        1,
        1,
        1,
        0,
        0,
    ]
    with pytest.raises(CorpusLayoutError, match="spam' or 'ham"):
        label_for_group("misc")


def _frame(rows: list[tuple[str, int, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "message_id": [r[0] for r in rows],
            "label": pd.Series([r[1] for r in rows], dtype="int8"),
            "subject": "s",
            "body": [r[2] for r in rows],
            "date": pd.to_datetime([r[3] for r in rows], utc=True),
        }
    )


def test_deduplicate_keeps_earliest_copy_and_ignores_case_and_whitespace() -> None:
    frame = _frame(
        [
            ("g/3", 1, "Free  MONEY now", "2002-03-01"),
            ("g/1", 1, "free money\nnow", "2002-01-01"),
            ("g/2", 1, "free money now", None),
            ("g/4", 0, "a different text", "2002-02-01"),
        ]
    )
    unique = deduplicate(frame)
    assert unique["message_id"].tolist() == ["g/1", "g/4"]
    assert deduplicate(unique).equals(unique)  # idempotent: evaluate_spam may call it again


def test_deduplicate_resolves_label_conflicts_by_majority_tie_to_spam() -> None:
    frame = _frame(
        [
            ("a/1", 0, "same text", "2002-01-01"),
            ("a/2", 0, "same text", "2002-01-02"),
            ("a/3", 1, "same text", "2002-01-03"),
            ("b/1", 0, "tied text", "2002-01-01"),
            ("b/2", 1, "tied text", "2002-01-02"),
        ]
    )
    unique = deduplicate(frame).set_index("message_id")["label"].to_dict()
    assert unique == {"a/1": 0, "b/1": 1}


def test_message_text_is_the_hashed_model_input() -> None:
    assert message_text("Hi", "body") == "Hi\n\nbody"
    assert len(message_text("s", "x" * 100_000)) == 20_000  # capped: huge bodies cost time, not signal
    assert content_sha256("Hi", "a  b") == content_sha256("HI", "a\nb")
    assert content_sha256("Hi", "a b") != content_sha256("Hi", "a c")


def test_deduplicate_copes_with_repeated_index_labels() -> None:
    glued = pd.concat([_frame([("a/1", 0, "x", "2002-01-01")]), _frame([("b/1", 1, "y", "2002-01-02")])])
    assert glued.index.tolist() == [0, 0]
    assert deduplicate(glued)["message_id"].tolist() == ["a/1", "b/1"]
