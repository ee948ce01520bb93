"""Lineage facts recorded with every training run: row digests, code version, corpus manifests."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]


def frame_sha256(frame: pd.DataFrame) -> str:
    """A digest of exactly these rows and columns (order-sensitive): same rows in, same digest out."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy().tobytes())
    return digest.hexdigest()


def code_version() -> str:
    """The git commit of the running code (`-dirty` when the tree has changes), or `unknown` outside git."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def snapshot_lineage(
    *,
    manifest: dict[str, Any],
    watermark: Any,
    n_labels_trained: int,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    recent: pd.DataFrame,
) -> dict[str, Any]:
    """What a training snapshot was made of: corpus, feedback watermark, and digests of its exact rows."""
    return {
        "corpus_manifest": manifest,
        "feedback_watermark": watermark,
        "labels_in_training": n_labels_trained,
        "labels_in_recent_slice": len(recent),
        "train_sha256": frame_sha256(train),
        "holdout_sha256": frame_sha256(holdout),
        "recent_sha256": frame_sha256(recent),
        "n_train": len(train),
        "n_holdout": len(holdout),
        "n_recent": len(recent),
    }
