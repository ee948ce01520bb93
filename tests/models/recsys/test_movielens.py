"""Readers: both source formats give the same frames; malformed tables fail loudly, naming the file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from models.recsys.movielens import MovieLensFormatError, read_grouplens_zip, read_recbole, split_title
from tests.models.recsys.conftest import ITEMS, RATINGS, write_grouplens_zip, write_recbole


def test_recbole_and_grouplens_give_identical_frames(recbole_dir: Path, grouplens_zip: Path) -> None:
    a, b = read_recbole(recbole_dir), read_grouplens_zip(grouplens_zip)
    for name in ("ratings", "items", "users"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


def test_schema_dtypes_and_order(recbole_dir: Path) -> None:
    ml = read_recbole(recbole_dir)
    assert ml.ratings.dtypes.astype(str).to_dict() == {
        "user_id": "int32", "item_id": "int32", "rating": "float32", "timestamp": "int64",
    }  # fmt: skip
    assert str(ml.items["year"].dtype) == "Int16"
    assert len(ml.ratings) == len(RATINGS)
    assert ml.ratings[["user_id", "item_id"]].apply(tuple, axis=1).is_monotonic_increasing
    assert ml.users["zip_code"].tolist() == ["85711", "00942", "T8H1N"]  # leading zeros and letters kept


def test_titles_years_and_genres_are_normalised(grouplens_zip: Path) -> None:
    items = read_grouplens_zip(grouplens_zip).items.set_index("item_id")
    assert items.loc[1, "title"] == "Toy Story" and items.loc[1, "year"] == 1995
    assert items.loc[3, "title"] == "Misérables, Les"  # latin-1 decoded
    assert items.loc[4, "title"] == "unknown" and pd.isna(items.loc[4, "year"])
    assert items.loc[5, "title"] == "Land Before Time III: The Time of the Great Giving"
    assert items.loc[5, "year"] == 1995
    assert items.loc[6, "title"] == "Big Blue, The (Grand bleu, Le)" and items.loc[6, "year"] == 1988
    assert items.loc[1, "genres"] == "Animation|Children's|Comedy"
    assert len(items) == len(ITEMS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Heat (1995)", ("Heat", 1995)), ("No Year", ("No Year", None)), ("A (B) (1999) (V)", ("A (B)", 1999))],
)
def test_split_title(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_title(raw) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1\t1\tfive\t874965758", "rating"),  # not a number
        ("1\t1\t5", "line 3 has 3 fields"),  # short line
        ("1\t99\t5\t874965758", "item_id"),  # item not in ml-100k.item
        ("1\t1\t9\t874965758", "rating"),  # out of range
    ],
)
def test_malformed_recbole_inter_names_the_file(tmp_path: Path, line: str, message: str) -> None:
    directory = write_recbole(tmp_path / "ml-100k", inter_lines=["2\t3\t4\t881250949", line])
    with pytest.raises(ValueError, match=rf"ml-100k\.inter.*{message}"):
        read_recbole(directory)


def test_duplicate_rating_pair_is_rejected(tmp_path: Path) -> None:
    directory = write_recbole(tmp_path / "ml-100k", inter_lines=["1\t1\t5\t1", "1\t1\t4\t2"])
    with pytest.raises(MovieLensFormatError, match=r"ml-100k\.inter: duplicate"):
        read_recbole(directory)


def test_missing_recbole_column_is_reported(recbole_dir: Path) -> None:
    path = recbole_dir / "ml-100k.user"
    path.write_text(path.read_text().replace("occupation:token", "job:token"))
    with pytest.raises(MovieLensFormatError, match=r"ml-100k\.user: missing column.*occupation"):
        read_recbole(recbole_dir)


def test_grouplens_wrong_field_count_names_the_member(tmp_path: Path) -> None:
    path = write_grouplens_zip(tmp_path / "ml-100k.zip", item_lines=["1|Toy Story (1995)|01-Jan-1995"])
    with pytest.raises(MovieLensFormatError, match=r"ml-100k\.zip:u\.item"):
        read_grouplens_zip(path)


def test_grouplens_missing_member_and_bad_zip(tmp_path: Path) -> None:
    partial = tmp_path / "partial.zip"
    with zipfile.ZipFile(partial, "w") as archive:
        archive.writestr("ml-100k/u.data", "1\t1\t5\t1\n")
    with pytest.raises(MovieLensFormatError, match=r"partial\.zip: member ml-100k/u\.item"):
        read_grouplens_zip(partial)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(MovieLensFormatError, match=r"junk\.zip"):
        read_grouplens_zip(junk)
