"""Each peer server in its own virtualenv, as a user would install it: made by the benchmark itself under
`~/.cache/closedloop/bench-venvs/<peer>-<hash of its pins>`, and reused while its pins stay the same.

The pins are exact. The numerical stack is the same as `requirements.lock` (a test checks it), because the
peers unpickle the champion's estimator, which only loads on the versions it was fitted with; torch is there
because `models.spam` imports it (pip takes the CPU wheel from the local wheel folder where it lies, as
`make install` does). The repo's pure-ML `models/` package reaches the peers through PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

# What unpickling the champion needs: identical to requirements.lock.
MODEL_STACK = (
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "joblib==1.6.0",
    "threadpoolctl==3.8.0",
    "pandas==2.3.3",
    "torch==2.13.0",
)
PEERS: dict[str, tuple[str, ...]] = {
    "bentoml": ("bentoml==1.4.40",),
    "litserve": ("litserve==0.2.19",),
}
CACHE = Path.home() / ".cache" / "closedloop" / "bench-venvs"
READY = ".installed"  # written last: a venv without it was interrupted and is made again


def pins(peer: str) -> tuple[str, ...]:
    """Everything pinned in `peer`'s virtualenv."""
    return PEERS[peer] + MODEL_STACK


def venv_dir(peer: str, cache: Path = CACHE) -> Path:
    """Where `peer`'s virtualenv lives: a change of pins makes a new one."""
    digest = hashlib.sha256("\n".join(pins(peer)).encode()).hexdigest()[:10]
    return cache / f"{peer}-{digest}"


def peer_python(peer: str, cache: Path = CACHE) -> Path:
    """The interpreter of `peer`'s virtualenv, made (minutes: pip resolves and installs) when missing."""
    home = venv_dir(peer, cache)
    python = home / "bin" / "python"
    if (home / READY).exists():
        return python
    print(f"bench: making {peer}'s virtualenv in {home} (once; minutes)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True)
    quiet = ["--quiet", "--disable-pip-version-check"]
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", *quiet, *pins(peer)], capture_output=True, text=True
    )
    if pip.returncode != 0:  # pip's warnings are noise on success, the reason on failure
        raise RuntimeError(f"pip could not install {peer}'s pins:\n{(pip.stdout + pip.stderr)[-3000:]}")
    (home / READY).write_text("\n".join(pins(peer)) + "\n")
    return python
