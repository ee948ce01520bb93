"""The shared PyTorch training loop: device, optimiser, schedule, early stopping, checkpoints."""

from models.training.device import resolve_device, seed_everything
from models.training.distributed import Replicas
from models.training.loop import EpochRecord, TrainConfig, TrainHistory, train_module

__all__ = [
    "EpochRecord",
    "Replicas",
    "TrainConfig",
    "TrainHistory",
    "resolve_device",
    "seed_everything",
    "train_module",
]
