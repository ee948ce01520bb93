"""MovieLens 100K readers: RecBole atomic files and GroupLens' original ``ml-100k.zip``, one frame layout.

Both sources describe the same 100,000 ratings but spell the catalogue differently: RecBole's ``movie_title``
has the year already split off into ``release_year`` and space-separated genre tokens in ``class``; GroupLens'
``u.item`` is pipe-separated latin-1 with ``"Toy Story (1995)"`` and 19 genre flags. Each reader normalises to
the frames documented on :class:`MovieLens`, so everything downstream is source-agnostic.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.recsys.schema import (
    MovieLensFormatError,
    check_field_counts,
    finish_tables,
    require_columns,
    to_float,
    to_int,
    to_year,
)  # fmt: skip

logger = logging.getLogger(__name__)

__all__ = ["GENRES", "MovieLens", "MovieLensFormatError", "read_grouplens_zip", "read_recbole"]

# GroupLens' u.item flag order (u.genre); RecBole's `class` tokens use the same names.
GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip

# "Title (1995)" and the one odd "Land Before Time III: ... (1995) (V)": a trailing year, optionally followed
# by one release tag. RecBole's converter took the *last* parenthesis as the year there, so its title keeps
# "(1995)" and its year reads "V"; stripping both here makes the two sources agree.
_TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)(?:\s*\([^()]*\))?\s*$")


@dataclass(frozen=True)
class MovieLens:
    """The three MovieLens tables, sorted by their keys.

    ratings: user_id int32, item_id int32, rating float32, timestamp int64 (sorted by user_id, item_id)
    items:   item_id int32, title str (no year suffix), year Int16 (nullable), genres str ('|'-joined,
             GENRES order)
    users:   user_id int32, age int16, gender str, occupation str, zip_code str
    """

    ratings: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame


def split_title(raw: str) -> tuple[str, int | None]:
    """Split ``"Heat (1995)"`` into ``("Heat", 1995)``; a title without a trailing year keeps ``None``."""
    match = _TITLE_YEAR.match(raw)
    if match is None:
        return raw.strip(), None
    return match["title"].strip(), int(match["year"])


def _canonical_genres(tokens: list[str]) -> str:
    # Known genres in GroupLens' order, anything unexpected after them alphabetically: the same set of genres
    # must give the same string whichever source it came from.
    known = [g for g in GENRES if g in tokens]
    extra = sorted(set(tokens) - set(GENRES))
    return "|".join(known + extra)


# ---------------------------------------------------------------------------------------------- RecBole


def _read_atomic(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read one RecBole atomic file (tab-separated, header ``name:type``) as strings, bare column names."""
    if not path.is_file():
        raise MovieLensFormatError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MovieLensFormatError(f"{path.name}: not UTF-8 text ({exc})") from exc
    check_field_counts(text, "\t", path.name)
    # QUOTE_NONE: titles contain literal quotes; strings everywhere so zip codes keep leading zeros.
    frame = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    frame.columns = [str(c).split(":", 1)[0] for c in frame.columns]
    require_columns(frame, required, path.name)
    return frame


def _find_atomic(directory: Path, suffix: str) -> Path:
    preferred = directory / f"{directory.name}{suffix}"
    if preferred.is_file():
        return preferred
    matches = sorted(directory.glob(f"*{suffix}"))
    if len(matches) != 1:
        raise MovieLensFormatError(f"{directory}: expected one *{suffix} file, found {len(matches)}")
    return matches[0]


def read_recbole(dir: Path) -> MovieLens:
    """Read RecBole's ml-100k atomic files (``*.inter``, ``*.item``, ``*.user``) from ``dir``."""
    directory = Path(dir)
    inter_path, item_path, user_path = (_find_atomic(directory, s) for s in (".inter", ".item", ".user"))

    inter = _read_atomic(inter_path, ("user_id", "item_id", "rating", "timestamp"))
    ratings = pd.DataFrame(
        {
            "user_id": to_int(inter["user_id"], inter_path.name, "user_id"),
            "item_id": to_int(inter["item_id"], inter_path.name, "item_id"),
            "rating": to_float(inter["rating"], inter_path.name, "rating"),
            "timestamp": to_int(inter["timestamp"], inter_path.name, "timestamp", allow_float=True),
        }
    )

    item = _read_atomic(item_path, ("item_id", "movie_title", "release_year", "class"))
    titles, years = [], []
    for title, year in zip(item["movie_title"], item["release_year"], strict=True):
        # RecBole spells the placeholder item 267 "unkonwn" (GroupLens: "unknown", no date).
        title = "unknown" if title == "unkonwn" else title.strip()
        if not re.fullmatch(r"\d{4}", year):
            title, parsed = split_title(title)
            year = "" if parsed is None else str(parsed)
        titles.append(title)
        years.append(year)
    items = pd.DataFrame(
        {
            "item_id": to_int(item["item_id"], item_path.name, "item_id"),
            "title": titles,
            "year": to_year(pd.Series(years), item_path.name),
            "genres": [_canonical_genres(c.split()) for c in item["class"]],
        }
    )

    user = _read_atomic(user_path, ("user_id", "age", "gender", "occupation", "zip_code"))
    users = pd.DataFrame(
        {
            "user_id": to_int(user["user_id"], user_path.name, "user_id"),
            "age": to_int(user["age"], user_path.name, "age"),
            "gender": user["gender"].str.strip(),
            "occupation": user["occupation"].str.strip(),
            "zip_code": user["zip_code"].str.strip(),
        }
    )
    ratings, items, users = finish_tables(
        ratings, items, users, (inter_path.name, item_path.name, user_path.name)
    )
    logger.info("read RecBole ml-100k from %s: %d ratings", directory, len(ratings))
    return MovieLens(ratings=ratings, items=items, users=users)


# --------------------------------------------------------------------------------------------- GroupLens


def _read_member(
    archive: zipfile.ZipFile, zip_name: str, member: str, sep: str, n_fields: int
) -> pd.DataFrame:
    """Read ``ml-100k/<member>`` (headerless) as strings after checking every line has ``n_fields`` fields."""
    names = [n for n in archive.namelist() if n == member or n.endswith(f"/{member}")]
    if not names:
        raise MovieLensFormatError(f"{zip_name}: member ml-100k/{member} not found")
    # GroupLens ships latin-1 (u.item has accented titles); ASCII members decode identically.
    text = archive.read(sorted(names, key=len)[0]).decode("latin-1")
    check_field_counts(text, sep, f"{zip_name}:{member}", expected=n_fields)
    return pd.read_csv(
        io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE
    )


def read_grouplens_zip(path: Path) -> MovieLens:
    """Read GroupLens' original ``ml-100k.zip`` (``u.data``, ``u.item``, ``u.user``)."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, FileNotFoundError) as exc:
        raise MovieLensFormatError(f"{path}: not a readable zip archive ({exc})") from exc
    with archive:
        data = _read_member(archive, path.name, "u.data", "\t", 4)
        item = _read_member(archive, path.name, "u.item", "|", 5 + len(GENRES))
        user = _read_member(archive, path.name, "u.user", "|", 5)

    where = f"{path.name}:u.data"
    ratings = pd.DataFrame(
        {
            "user_id": to_int(data[0], where, "user_id"),
            "item_id": to_int(data[1], where, "item_id"),
            "rating": to_float(data[2], where, "rating"),
            "timestamp": to_int(data[3], where, "timestamp"),
        }
    )

    where = f"{path.name}:u.item"
    flags = item.iloc[:, 5:].to_numpy()
    if not ((flags == "0") | (flags == "1")).all():
        raise MovieLensFormatError(f"{where}: genre flags must be 0 or 1")
    titles, years = [], []
    for raw, release in zip(item[1], item[2], strict=True):
        title, year = split_title(raw)
        if year is None and re.fullmatch(r"\d{2}-\w{3}-\d{4}", release.strip()):
            year = int(release.strip()[-4:])  # no year in the title: fall back to the release date
        titles.append(title)
        years.append("" if year is None else str(year))
    items = pd.DataFrame(
        {
            "item_id": to_int(item[0], where, "item_id"),
            "title": titles,
            "year": to_year(pd.Series(years), where),
            "genres": ["|".join(g for g, f in zip(GENRES, row, strict=True) if f == "1") for row in flags],
        }
    )

    where = f"{path.name}:u.user"
    users = pd.DataFrame(
        {
            "user_id": to_int(user[0], where, "user_id"),
            "age": to_int(user[1], where, "age"),
            "gender": user[2].str.strip(),
            "occupation": user[3].str.strip(),
            "zip_code": user[4].str.strip(),
        }
    )
    names = (f"{path.name}:u.data", f"{path.name}:u.item", f"{path.name}:u.user")
    ratings, items, users = finish_tables(ratings, items, users, names)
    logger.info("read GroupLens ml-100k from %s: %d ratings", path, len(ratings))
    return MovieLens(ratings=ratings, items=items, users=users)
