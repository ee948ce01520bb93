"""The on-disk model cache: HOME/cache/models/<name>/<version>/ holds a downloaded MLflow model, and
HOME/cache/models/<name>/<alias> names the version last served under that alias, so that a server starting
while MLflow is unreachable still serves the last known champion.

Each cached version carries `MANIFEST`, the sha256 of every artefact file written when it was downloaded.
A copy whose files no longer match (a disk error, an edit by hand) is damaged: `fetch` downloads it again
from the registry instead of serving it, and the cache fallback refuses it with a message that says which
files changed, rather than failing to unpickle it on every reload.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import mlflow
from mlflow import MlflowClient

log = logging.getLogger(__name__)
MANIFEST = "closedloop-sha256.json"  # {relative path: sha256 hex} of every other file of the version


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(directory: Path) -> dict[str, str]:
    """The sha256 of every file under `directory` (but the manifest), by path relative to it."""
    return {
        path.relative_to(directory).as_posix(): _sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


class ModelCache:
    """Downloaded model artefacts by registered name and version; writes are atomic (temp dir + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str, version: str) -> Path:
        return self.root / name / version

    def has(self, name: str, version: str) -> bool:
        return (self.path(name, version) / "MLmodel").is_file()

    def damage(self, name: str, version: str) -> list[str] | None:
        """What is wrong with the cached copy: [] when every file matches its recorded sha256, else the
        missing, changed or unexpected files; None for a copy without a manifest (nothing to check against:
        cached before checksums were recorded)."""
        directory = self.path(name, version)
        manifest = directory / MANIFEST
        if not manifest.is_file():
            return None
        try:
            recorded: dict[str, str] = json.loads(manifest.read_text())
        except (OSError, ValueError):
            return [f"{MANIFEST} (unreadable)"]
        found = checksums(directory)
        changed = [
            f"{file} (changed)" for file, digest in recorded.items() if found.get(file, digest) != digest
        ]
        missing = [f"{file} (missing)" for file in recorded if file not in found]
        added = [f"{file} (unexpected)" for file in found if file not in recorded]
        return changed + missing + added

    def fetch(self, client: MlflowClient, *, name: str, version: str) -> Path:
        """The local copy of `name` v`version`: the cached one when its checksums match, else (damaged, or
        cached without checksums) downloaded again from the registry."""
        target = self.path(name, version)
        if self.has(name, version):
            damage = self.damage(name, version)
            if damage == []:
                return target
            why = "has no checksums" if damage is None else "is damaged: " + ", ".join(damage)
            log.warning("cached %s v%s %s; fetching it again from the registry", name, version, why)
            self.evict(name, version)
        uri = client.get_model_version_download_uri(name, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
        try:
            # The client's tracking URI, not the process-wide one: an MLflow server that proxies its
            # artefacts (mlflow-artifacts:/…, e.g. from S3) hands them out only to a client that names it.
            local = Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=uri, dst_path=str(staging), tracking_uri=client.tracking_uri
                )
            )
            (local / MANIFEST).write_text(json.dumps(checksums(local), indent=1, sort_keys=True))
            os.replace(local, target)  # another process may have won: then ours is simply discarded
        except OSError:
            if not self.has(name, version):
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("cached %s v%s at %s", name, version, target)
        return target

    def evict(self, name: str, version: str) -> None:
        """Remove the cached copy of `name` v`version` (renamed aside first, so no reader sees half of it)."""
        target = self.path(name, version)
        if not target.exists():
            return
        aside = Path(tempfile.mkdtemp(prefix=f".evicted-{version}-", dir=target.parent))
        os.replace(target, aside / version)
        shutil.rmtree(aside, ignore_errors=True)

    def remember(self, *, name: str, alias: str, version: str | None) -> None:
        """Record which version `alias` pointed at when last seen (None: the alias was gone)."""
        pointer = self.root / name / alias
        if version is None:
            pointer.unlink(missing_ok=True)
            return
        pointer.parent.mkdir(parents=True, exist_ok=True)
        temporary = pointer.with_suffix(".tmp")
        temporary.write_text(version)
        os.replace(temporary, pointer)

    def remembered(self, *, name: str, alias: str) -> str | None:
        """The version `alias` pointed at when last seen, if it is still in the cache."""
        pointer = self.root / name / alias
        if not pointer.is_file():
            return None
        version = pointer.read_text().strip()
        return version if self.has(name, version) else None
