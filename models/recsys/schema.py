"""Column parsing and validation for the MovieLens tables: both readers end here, so both obey one schema.

Errors name the file (and the line where one is known) so a user can open it and fix it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "MovieLensFormatError",
    "check_field_counts",
    "finish_tables",
    "require_columns",
    "to_float",
    "to_int",
    "to_year",
]


class MovieLensFormatError(ValueError):
    """A MovieLens table is missing, unreadable or violates the schema; the message names the file."""


def require_columns(frame: pd.DataFrame, required: tuple[str, ...], where: str) -> None:
    """Raise unless ``frame`` has every column in ``required``."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MovieLensFormatError(f"{where}: missing column(s) {missing}; found {list(frame.columns)}")


def check_field_counts(text: str, sep: str, where: str, *, expected: int | None = None) -> int:
    """Raise unless every non-empty line of ``text`` has the same number of ``sep``-separated fields.

    pandas silently pads short lines with blanks, which would turn a truncated row into an empty zip code or
    title; counting separators first catches it. ``expected`` defaults to the first line's count.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        found = line.count(sep) + 1
        if expected is None:
            expected = found
        elif found != expected:
            raise MovieLensFormatError(f"{where}: line {number} has {found} fields, expected {expected}")
    if expected is None:
        raise MovieLensFormatError(f"{where}: file is empty")
    return expected


def _first_bad(values: pd.Series, bad: np.ndarray, where: str, column: str, what: str) -> None:
    if bad.any():
        row = int(bad.argmax())
        raise MovieLensFormatError(
            f"{where}: {column} must be {what}, data row {row + 1} has {values.iloc[row]!r}"
        )


def to_float(values: pd.Series, where: str, column: str) -> pd.Series:
    """Parse a string column as float64; a blank or non-numeric cell raises, naming the row."""
    parsed = pd.to_numeric(values.str.strip(), errors="coerce")
    _first_bad(values, parsed.isna().to_numpy(), where, column, "a number")
    return parsed.astype("float64")


def to_int(values: pd.Series, where: str, column: str, *, allow_float: bool = False) -> pd.Series:
    """Parse a string column as int64; ``allow_float`` accepts ``"881250949.0"`` (RecBole's float fields)."""
    parsed = (
        to_float(values, where, column) if allow_float else pd.to_numeric(values.str.strip(), errors="coerce")
    )
    integral = parsed.notna() & (parsed == np.floor(parsed.fillna(0)))
    _first_bad(values, ~integral.to_numpy(), where, column, "an integer")
    return parsed.astype("int64")


def to_year(values: pd.Series, where: str) -> pd.Series:
    """Parse ``"1995"`` / ``""`` into a nullable Int16 year column."""
    blank = values.str.strip() == ""
    parsed = pd.to_numeric(values.where(~blank, None), errors="coerce")
    _first_bad(values, (parsed.isna() & ~blank).to_numpy(), where, "year", "a year or blank")
    return parsed.astype("Int16")


def _unique(frame: pd.DataFrame, keys: list[str], where: str) -> None:
    dup = frame.duplicated(keys).to_numpy()
    if dup.any():
        row = frame.iloc[int(dup.argmax())]
        raise MovieLensFormatError(f"{where}: duplicate {keys} = {[row[k] for k in keys]}")


def finish_tables(
    ratings: pd.DataFrame, items: pd.DataFrame, users: pd.DataFrame, names: tuple[str, str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate keys, ranges and references, then cast to the documented dtypes and sort by key.

    Sorting makes the frames independent of file row order, so two sources with the same data compare equal
    and a seeded split gives the same partition for either.
    """
    inter_name, item_name, user_name = names
    _unique(ratings, ["user_id", "item_id"], inter_name)
    _unique(items, ["item_id"], item_name)
    _unique(users, ["user_id"], user_name)
    bad_rating = ~ratings["rating"].between(0.5, 5.0).to_numpy()
    _first_bad(ratings["rating"], bad_rating, inter_name, "rating", "in [0.5, 5]")
    for column, known, name in (
        ("user_id", users["user_id"], user_name),
        ("item_id", items["item_id"], item_name),
    ):
        unknown = ~ratings[column].isin(known).to_numpy()
        _first_bad(ratings[column], unknown, inter_name, column, f"listed in {name}")
    ids = ((ratings, "user_id", inter_name), (items, "item_id", item_name), (users, "user_id", user_name))
    for frame, column, name in ids:  # checked before the casts below, which would wrap around silently
        _first_bad(frame[column], ~frame[column].between(0, 2**31 - 1).to_numpy(), name, column, "an int32")
    _first_bad(users["age"], ~users["age"].between(0, 150).to_numpy(), user_name, "age", "in [0, 150]")

    ratings = ratings.astype(
        {"user_id": "int32", "item_id": "int32", "rating": "float32", "timestamp": "int64"}
    ).sort_values(["user_id", "item_id"], ignore_index=True)
    items = items.astype({"item_id": "int32", "title": "object", "year": "Int16", "genres": "object"})
    users = users.astype(
        {"user_id": "int32", "age": "int16", "gender": "object", "occupation": "object", "zip_code": "object"}
    )
    items = items.sort_values("item_id", ignore_index=True)[["item_id", "title", "year", "genres"]]
    users = users.sort_values("user_id", ignore_index=True)[
        ["user_id", "age", "gender", "occupation", "zip_code"]
    ]
    return ratings, items, users
