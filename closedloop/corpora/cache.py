"""The parsed corpora as Parquet files with a manifest, cached under the settings' data directory.

A fetch whose manifest and files verify is a no-op (offline and instant); a file whose sha256 no longer
matches the manifest is treated as absent and rebuilt from the (verified) downloaded archive.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from closedloop.corpora import sources
from closedloop.corpora.sources import CorpusError, CorpusUnavailable, sha256_of
from closedloop.settings import Settings
from models.recsys.movielens import MovieLens, read_grouplens_zip, read_recbole
from models.spam.corpus import deduplicate, read_corpus

log = logging.getLogger(__name__)

CorpusName = Literal["spam", "movielens"]
CORPORA: tuple[CorpusName, ...] = ("spam", "movielens")
MOVIELENS_TABLES = ("ratings", "items", "users")


class CorpusMissing(CorpusError):
    """The corpus has not been fetched into this home yet."""


@dataclass(frozen=True)
class FetchResult:
    corpus: CorpusName
    manifest: dict[str, Any]
    cached: bool  # True when nothing had to be downloaded or parsed


def corpus_path(settings: Settings, corpus: CorpusName) -> Path:
    return settings.corpus_dir / corpus


def read_manifest(settings: Settings, corpus: CorpusName) -> dict[str, Any] | None:
    """The manifest if it and every file it lists verify, else None."""
    folder = corpus_path(settings, corpus)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        files: dict[str, str] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for name, digest in files.items():
        path = folder / name
        if not path.is_file() or sha256_of(path) != digest:
            log.warning("cached %s/%s is missing or corrupt; it will be rebuilt", corpus, name)
            return None
    return manifest


def fetch(
    settings: Settings, corpus: CorpusName, *, source: Path | None = None, force: bool = False
) -> FetchResult:
    """Download (or read from `source`), verify, parse and cache one corpus."""
    source = source or settings.corpus_source
    if not force and (manifest := read_manifest(settings, corpus)) is not None:
        return FetchResult(corpus=corpus, manifest=manifest, cached=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"closedloop-{corpus}-") as tmp:
        if corpus == "spam":
            tables, source_info, counts = _build_spam(settings, source, Path(tmp))
        else:
            tables, source_info, counts = _build_movielens(settings, source, Path(tmp))
    manifest = _write(settings, corpus, tables, source=source_info, counts=counts)
    log.info("%s corpus cached in %.1f s", corpus, time.perf_counter() - started)
    return FetchResult(corpus=corpus, manifest=manifest, cached=False)


def _build_spam(
    settings: Settings, source: Path | None, tmp: Path
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, int]]:
    if source is not None:
        if not source.exists():
            raise CorpusUnavailable(f"--from {source}: no such file or directory")
        root, info = source, {"kind": "local", "path": str(source.resolve())}
    else:
        archive = _download(sources.SPAM_PACKAGE, settings, hint=sources.SPAM_ORIGINAL_HINT)
        root = sources.extract_spam_package(archive, into=tmp)
        info = _package_info(sources.SPAM_PACKAGE)
    raw = read_corpus(root)
    if raw.empty:
        raise CorpusUnavailable(f"no messages found in {root}; expected {sources.SPAM_ORIGINAL_HINT}")
    unique = deduplicate(raw)
    counts = {
        "messages": len(raw),
        "spam": int(raw["label"].sum()),
        "unique_messages": len(unique),
        "unique_spam": int(unique["label"].sum()),
    }
    return {"messages": unique.reset_index(drop=True)}, info, counts


def _build_movielens(
    settings: Settings, source: Path | None, tmp: Path
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, int]]:
    if source is not None:
        archive = sources.find_grouplens_zip(source)
        ml = read_grouplens_zip(archive)
        info = {"kind": "local", "path": str(archive.resolve()), "sha256": sha256_of(archive)}
    else:
        archive = _download(sources.MOVIELENS_PACKAGE, settings, hint=sources.MOVIELENS_ORIGINAL_HINT)
        ml = read_recbole(sources.extract_movielens_wheel(archive, into=tmp))
        info = _package_info(sources.MOVIELENS_PACKAGE)
    counts = {
        "ratings": len(ml.ratings),
        "users": int(ml.ratings["user_id"].nunique()),
        "items": int(ml.items["item_id"].nunique()),
    }
    return {name: getattr(ml, name) for name in MOVIELENS_TABLES}, info, counts


def _download(package: sources.RegistryPackage, settings: Settings, *, hint: str) -> Path:
    try:
        return sources.download_package(
            package, downloads=settings.corpus_dir / "downloads", npm=settings.npm
        )
    except CorpusUnavailable as exc:
        raise CorpusUnavailable(
            f"{exc}.\nTwo ways to get this corpus: make the {package.registry} registry reachable and run "
            f"the fetch again, or pass --from PATH (or set CLOSEDLOOP_CORPUS_SOURCE) pointing at {hint}."
        ) from exc


def _package_info(package: sources.RegistryPackage) -> dict[str, Any]:
    return {
        "kind": package.registry,
        "package": package.name,
        "version": package.version,
        "file": package.filename,
        "sha256": package.sha256,
    }


def _write(
    settings: Settings,
    corpus: CorpusName,
    tables: dict[str, pd.DataFrame],
    *,
    source: dict[str, Any],
    counts: dict[str, int],
) -> dict[str, Any]:
    """Write to a staging folder and swap it in, so a crash never leaves a half-written cache."""
    folder = corpus_path(settings, corpus)
    staging = folder.with_name(f".{corpus}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = {}
    for name, frame in tables.items():
        path = staging / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        files[path.name] = sha256_of(path)
    manifest = {
        "corpus": corpus,
        "source": source,
        "counts": counts,
        "files": files,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return manifest


def _require(settings: Settings, corpus: CorpusName) -> dict[str, Any]:
    manifest = read_manifest(settings, corpus)
    if manifest is None:
        raise CorpusMissing(
            f"the {corpus} corpus is not in {settings.corpus_dir} (or its cache is corrupt); "
            f"run `closedloop data fetch {corpus}` first"
        )
    return manifest


def load_spam(settings: Settings) -> pd.DataFrame:
    """The de-duplicated SpamAssassin messages (one row per unique message)."""
    _require(settings, "spam")
    return pd.read_parquet(corpus_path(settings, "spam") / "messages.parquet")


def load_movielens(settings: Settings) -> MovieLens:
    """MovieLens 100K ratings, items and users."""
    _require(settings, "movielens")
    folder = corpus_path(settings, "movielens")
    frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in MOVIELENS_TABLES}
    return MovieLens(**frames)
