"""Historical interaction files read as store events: CSV, JSON Lines, or MovieLens' `u.data`.

Rows without an `event_id` get one derived from their content (a SHA-256 of the canonical row), so importing
the same file twice stores nothing twice. A row that cannot be read (a broken line, an id that is no integer,
a time without a zone) raises `MalformedFile` naming its line; a row that reads but breaks the store's rules
(an unknown kind, a negative id) comes back with the reason, for the caller to count and skip.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from closedloop.store import InteractionIn

FileFormat = Literal["csv", "jsonl", "movielens"]
REQUIRED = ("user_id", "item_id", "kind", "occurred_at")
OPTIONAL = ("value", "event_id", "prediction_id", "actor")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
Fields = dict[str, Any]


class MalformedFile(ValueError):
    """A line that cannot be read as an interaction; the message names the line and the fix."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        where = f"{path.name} line {line}" if line else path.name
        super().__init__(f"{where}: {problem}")
        self.line = line


@dataclass(frozen=True)
class Row:
    line: int
    event: InteractionIn | None  # None: the row reads but breaks the store's rules, said in `reason`
    reason: str | None = None


def file_format(path: Path, *, movielens: bool) -> FileFormat:
    """MovieLens when told; JSON Lines for .jsonl / .ndjson; CSV otherwise."""
    if movielens:
        return "movielens"
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


def read_interaction_file(path: Path, *, fmt: FileFormat, model: str, actor: str) -> Iterator[Row]:
    """Each data line of `path` as a `Row`, in file order; raises `MalformedFile` at the first unreadable one.

    `actor` is the default for rows that name none; it is not part of a derived event id, so importing the
    file again under another actor is a conflict (refused), not a second copy.
    """
    readers = {"csv": _csv, "jsonl": _jsonl, "movielens": _movielens}
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines:
            for line, fields in readers[fmt](path, lines):
                yield _row(path, line, fields, model=model, actor=actor)
    except UnicodeDecodeError as error:
        raise MalformedFile(path, 0, f"is not UTF-8 text ({error.reason}); save it as UTF-8") from None


def _csv(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, Fields]]:
    reader = csv.DictReader(lines)
    header = list(reader.fieldnames or [])
    _check_columns(path, 1, header)
    for record in reader:
        if None in record or None in record.values():  # more fields than the header, or fewer
            raise MalformedFile(path, reader.line_num, f"does not have the header's {len(header)} fields")
        yield reader.line_num, {key: value for key, value in record.items() if value != ""}


def _jsonl(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, Fields]]:
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as error:
            raise MalformedFile(path, line, f"is not valid JSON ({error}); write one object a line") from None
        if not isinstance(record, dict):
            raise MalformedFile(path, line, "is not a JSON object; write one object a line")
        _check_columns(path, line, list(record))
        yield line, {key: value for key, value in record.items() if value is not None}


def _movielens(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, Fields]]:
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        parts = text.split()
        if len(parts) != 4:
            raise MalformedFile(
                path, line, f"has {len(parts)} fields; u.data lines are user, item, rating, unix time (tabs)"
            )
        user_id, item_id, rating, seconds = parts
        yield (
            line,
            {
                "user_id": user_id,
                "item_id": item_id,
                "kind": "rating",
                "value": rating,
                "occurred_at": seconds,
            },
        )


def _check_columns(path: Path, line: int, columns: list[str]) -> None:
    missing = [name for name in REQUIRED if name not in columns]
    unknown = [name for name in columns if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problem = f"lacks {', '.join(missing)}" if missing else f"has unknown field(s) {', '.join(unknown)}"
        raise MalformedFile(
            path, line, f"{problem}; give {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}"
        )


def _row(path: Path, line: int, fields: Fields, *, model: str, actor: str) -> Row:
    try:
        content: Fields = {
            "model": model,
            "user_id": _integer(fields.get("user_id"), "user_id"),
            "item_id": _integer(fields.get("item_id"), "item_id"),
            "kind": _text(fields.get("kind"), "kind"),
            "value": _optional(fields, "value", _number),
            "occurred_at": _time(fields.get("occurred_at")),
            "prediction_id": _optional(fields, "prediction_id", _text),
            "actor": _optional(fields, "actor", _text),
        }
        event_id = _optional(fields, "event_id", _text) or derived_event_id(content)
    except ValueError as error:
        raise MalformedFile(path, line, str(error)) from None
    try:
        return Row(line, InteractionIn(event_id=event_id, **(content | {"actor": content["actor"] or actor})))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return Row(line, None, problems)


def derived_event_id(content: Fields) -> str:
    """A stable event id from a row's own content: the same row always gets the same id."""
    canonical = content | {"occurred_at": content["occurred_at"].isoformat()}
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"sha256-{digest}"


def _optional(fields: Fields, name: str, parse: Any) -> Any:
    return None if fields.get(name) is None else parse(fields[name], name)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        return int(value)
    raise ValueError(f"{name} {value!r} is not an integer")


def _number(value: Any, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    raise ValueError(f"{name} {value!r} is not a number")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} {value!r} is not a non-empty string")
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL character (U+0000); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} {value!r} is not valid Unicode (a lone surrogate)") from None
    return value


def _time(value: Any) -> datetime:
    """ISO 8601 with a UTC offset, or Unix seconds, as an aware UTC datetime."""
    if value is None:
        raise ValueError(
            "occurred_at is missing; give the event time (ISO 8601 with offset, or Unix seconds)"
        )
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"occurred_at {value!r} is out of range for Unix seconds") from None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        raise ValueError(f"occurred_at {value!r} is neither ISO 8601 (2024-05-01T12:00:00Z) nor Unix seconds")
    if when.tzinfo is None:
        raise ValueError(
            f"occurred_at {value!r} has no UTC offset; add one (Z, +02:00) so its instant is known"
        )
    try:
        return when.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"occurred_at {value!r} is out of range") from None
