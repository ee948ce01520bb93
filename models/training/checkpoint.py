"""End-of-epoch checkpoints: one file per run directory, replaced atomically, checked before a resume."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "last.pt"
FORMAT_VERSION = 1


def save_checkpoint(state: dict[str, Any], directory: Path) -> Path:
    """Write `state` to `directory/last.pt` so that a crash mid-write never leaves a torn file.

    The bytes go to a temp file in the same directory (same filesystem, so `os.replace` is an atomic rename),
    are fsynced, and only then replace the previous checkpoint.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKPOINT_FILE
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save({"format_version": FORMAT_VERSION, **state}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_checkpoint(directory: Path, device: torch.device) -> dict[str, Any] | None:
    """Read `directory/last.pt` onto `device`, or return None when there is none yet (a fresh run)."""
    path = directory / CHECKPOINT_FILE
    if not path.exists():
        logger.info("no checkpoint at %s to resume from: starting a fresh run", path)
        return None
    # weights_only: the file holds only tensors and plain containers, so refuse to unpickle arbitrary objects.
    state: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
    if state.get("format_version") != FORMAT_VERSION:
        found = state.get("format_version")
        raise ValueError(f"checkpoint {path} has format {found}, expected {FORMAT_VERSION}")
    logger.info("loaded checkpoint %s (epochs done: %d)", path, len(state["history"]))
    return state


def check_resumable(saved: dict[str, Any], current: dict[str, Any]) -> None:
    """Raise ValueError when the run settings that shape the optimisation differ from the checkpoint's.

    A resume promises the same result as an uninterrupted run; a new max_epochs or lr would silently bend
    the learning-rate schedule mid-run (and AdamW's saved param groups would override a new lr anyway).
    """
    changed = {key: (saved.get(key), value) for key, value in current.items() if saved.get(key) != value}
    if changed:
        details = ", ".join(f"{key}: checkpoint {old!r}, now {new!r}" for key, (old, new) in changed.items())
        raise ValueError(
            f"cannot resume: the config changed since the checkpoint ({details}); "
            "restore the original values or start a fresh run (resume=False or a new checkpoint_dir)"
        )
