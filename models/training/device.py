"""Where training runs and how reproducibly: device choice, mixed precision, seeding."""

from __future__ import annotations

import random

import numpy as np
import torch


class DeviceUnavailableError(RuntimeError):
    """The requested device exists as a name but this machine cannot provide it."""


def resolve_device(name: str = "auto") -> torch.device:
    """Turn a device name into a `torch.device`; "auto" picks cuda when one is visible, else cpu.

    An explicit "cuda" (or "cuda:N", "mps") that is not available raises `DeviceUnavailableError` instead of
    silently falling back to cpu: a job that asked for a GPU and got a CPU would run 50x slower unnoticed.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(
                f"device {name!r} requested but CUDA is not available on this machine "
                "(no GPU, or a CPU-only torch build); use device='auto' or 'cpu'"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailableError(
                f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) are visible"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceUnavailableError(f"device {name!r} requested but MPS is not available on this machine")
    return device


def autocast_dtype(device: torch.device, amp: bool) -> torch.dtype | None:
    """The autocast dtype for this device, or None for full fp32.

    AMP only on cuda: CPU autocast is slower than fp32 for the small models here. bf16 when the GPU supports
    it (Ampere+) because its fp32-sized exponent needs no loss scaling; fp16 otherwise, with a GradScaler.
    """
    if not amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def seed_everything(seed: int) -> None:
    """Seed Python's `random`, NumPy's global generator and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # the legacy global seeder only takes 32-bit seeds
    torch.manual_seed(seed)  # also seeds all CUDA devices


def epoch_seed(seed: int, epoch: int) -> int:
    """A 32-bit seed derived from (seed, epoch); SeedSequence keeps nearby pairs' streams independent."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])
