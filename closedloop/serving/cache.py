"""The on-disk model cache: HOME/cache/models/<name>/<version>/ holds a downloaded MLflow model, and
HOME/cache/models/<name>/<alias> names the version last served under that alias, so that a server starting
while MLflow is unreachable still serves the last known champion."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import mlflow
from mlflow import MlflowClient

log = logging.getLogger(__name__)


class ModelCache:
    """Downloaded model artefacts by registered name and version; writes are atomic (temp dir + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str, version: str) -> Path:
        return self.root / name / version

    def has(self, name: str, version: str) -> bool:
        return (self.path(name, version) / "MLmodel").is_file()

    def fetch(self, client: MlflowClient, *, name: str, version: str) -> Path:
        """The local copy of `name` v`version`, downloaded from the registry unless already cached."""
        target = self.path(name, version)
        if self.has(name, version):
            return target
        uri = client.get_model_version_download_uri(name, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
        try:
            # The client's tracking URI, not the process-wide one: an MLflow server that proxies its
            # artefacts (mlflow-artifacts:/…, e.g. from S3) hands them out only to a client that names it.
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=str(staging), tracking_uri=client.tracking_uri
            )
            os.replace(local, target)  # another process may have won: then ours is simply discarded
        except OSError:
            if not self.has(name, version):
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("cached %s v%s at %s", name, version, target)
        return target

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
