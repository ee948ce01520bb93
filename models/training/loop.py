"""The one PyTorch training loop shared by the spam and recommender models.

A model supplies what differs (batches, loss, validation score); the loop owns what must not differ: device
placement, AdamW with warm-up + cosine decay, gradient clipping, AMP, early stopping, checkpoints, progress.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from models.training.checkpoint import check_resumable, load_checkpoint, save_checkpoint
from models.training.device import autocast_dtype, epoch_seed, resolve_device, seed_everything
from models.training.distributed import Replicas

logger = logging.getLogger(__name__)

# Settings that shape the optimisation trajectory: a resume must keep them (with steps_per_epoch) unchanged.
_TRAJECTORY_FIELDS = ("max_epochs", "lr", "weight_decay", "warmup_fraction", "seed")


@dataclass
class TrainConfig:
    """Optimisation settings. On resume, max_epochs, lr, weight_decay, warmup_fraction and seed must match the
    checkpoint (ValueError otherwise); patience, grad_clip, amp, device and progress may change."""

    max_epochs: int = 20
    lr: float = 3e-3
    weight_decay: float = 1e-4  # AdamW, decoupled; on matrices only (Linear/Embedding weights): param_groups
    warmup_fraction: float = 0.05  # linear warm-up over this share of all steps, then cosine decay to 0
    grad_clip: float = 1.0  # max global grad norm; 0 disables
    patience: int = 3  # stop after this many epochs without a better val score; <= 0 disables early stopping
    seed: int = 0
    device: str = "auto"  # "auto" -> "cuda" if torch.cuda.is_available() else "cpu"
    amp: bool = True  # only takes effect on cuda
    checkpoint_dir: Path | None = None  # when set, write a checkpoint at the end of every epoch
    resume: bool = False  # continue exactly from checkpoint_dir's last checkpoint
    progress: bool | None = None  # None -> progress bar only when stderr is a TTY (quiet in CI)

    def __post_init__(self) -> None:
        if self.max_epochs < 1:
            raise ValueError(f"max_epochs must be >= 1, got {self.max_epochs}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise ValueError(f"warmup_fraction must be in [0, 1), got {self.warmup_fraction}")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValueError("weight_decay and grad_clip must be >= 0")
        if self.resume and self.checkpoint_dir is None:
            raise ValueError("resume=True needs a checkpoint_dir to resume from")
        if self.checkpoint_dir is not None:
            self.checkpoint_dir = Path(self.checkpoint_dir)


@dataclass
class EpochRecord:
    """One finished epoch, as passed to `on_epoch_end` (e.g. for per-epoch MLflow metrics)."""

    epoch: int  # 0-based
    train_loss: float  # mean batch loss over the epoch
    val_score: float  # what validate returned; higher is better
    lr: float  # learning rate used by the epoch's last step
    seconds: float  # wall time of training + validation


@dataclass
class TrainHistory:
    """What `train_module` returns; on resume `epochs` includes the epochs run before the crash."""

    epochs: list[EpochRecord]
    best_epoch: int
    best_score: float
    stopped_early: bool
    device: str


def warmup_cosine(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """LR multiplier for optimizer step `step` (0-based): linear warm-up to 1, then cosine decay to 0.

    Warm-up starts at 1/(warmup_steps+1), not 0, so the very first step already learns (as in nanoGPT); it
    protects AdamW's early steps, whose second-moment estimates are still noisy.
    """
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def param_groups(module: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Split trainable parameters: decay matrices (Linear and Embedding weights), not biases or norm gains.

    Decaying a bias or a LayerNorm gain only pulls it towards 0 (a poor prior for a gain); on matrices it is
    the usual L2 prior. Embeddings are decayed as in nanoGPT: for a recommender it is the factor regulariser.
    """
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        raise ValueError("module has no trainable parameters")
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def train_module(
    module: torch.nn.Module,
    *,
    make_batches: Callable[[np.random.Generator], Iterable[Sequence[torch.Tensor]]],
    steps_per_epoch: int,
    loss_fn: Callable[[torch.nn.Module, Sequence[torch.Tensor]], torch.Tensor],
    validate: Callable[[torch.nn.Module], float],
    config: TrainConfig,
    on_epoch_end: Callable[[EpochRecord], None] | None = None,
) -> TrainHistory:
    """Train `module` in place; it ends in eval mode holding the best epoch's weights, on the training device.

    Each epoch reseeds torch/numpy/random from (seed, epoch) and gets `np.random.default_rng([seed, epoch])`
    for `make_batches`, so the RNG streams depend only on the epoch number: no RNG state needs checkpointing,
    and on CPU a resumed run is bitwise identical to an uninterrupted one. (On CUDA, non-deterministic kernels
    such as atomic-add scatter in embedding backward may differ in the last bits.)

    Under a process group (`torchrun`; see `models.training.distributed`) each replica trains on its share of
    every epoch's batches through DistributedDataParallel, so an epoch takes ceil(steps_per_epoch / world)
    steps per replica (a model keeps the single-process optimisation by drawing batches of
    `Replicas.batch_size(batch)` rows); the epoch's loss and validation score are all-reduced, and only rank 0
    writes checkpoints. A checkpoint resumes only under the world size that wrote it.
    """
    if steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be >= 1, got {steps_per_epoch}")
    device = resolve_device(config.device)
    module.to(device)
    replicas = Replicas.current()
    local_steps = replicas.local_steps(steps_per_epoch)
    opt = _Optimisation.build(module, config, local_steps, autocast_dtype(device, config.amp))
    fingerprint = {key: getattr(config, key) for key in _TRAJECTORY_FIELDS}
    fingerprint["steps_per_epoch"] = steps_per_epoch
    fingerprint["world_size"] = replicas.world

    records: list[EpochRecord] = []
    best = _EarlyStopping(config.patience)
    resume_from = config.checkpoint_dir if config.resume else None
    saved = load_checkpoint(resume_from, device) if resume_from is not None else None
    if saved is not None:
        # Checkpoints from before DDP carry no world size: they were written by one process.
        check_resumable({"world_size": 1, **saved["fingerprint"]}, fingerprint)
        module.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimisation"])
        best.load_state_dict(saved["early_stopping"])
        records = [EpochRecord(**r) for r in saved["history"]]
    trained = replicas.wrap(module, device)  # after loading: DDP broadcasts rank 0's weights at construction

    show = replicas.writes and (sys.stderr.isatty() if config.progress is None else config.progress)
    bar = tqdm(total=opt.total_steps, initial=len(records) * local_steps, disable=not show, unit="step")
    epoch = len(records)
    # With a bar on screen, route log lines through tqdm so they do not tear the bar.
    with logging_redirect_tqdm() if show else contextlib.nullcontext(), bar:
        # A resumed run whose patience was already spent only restores the best weights.
        while epoch < config.max_epochs and not best.patience_spent:
            start = time.perf_counter()
            # Dropout masks etc. replay on resume; each replica draws its own (same batch order for all).
            seed_everything(epoch_seed(config.seed, epoch) + replicas.rank)
            batches = replicas.share(make_batches(np.random.default_rng([config.seed, epoch])), epoch)
            loss_sum, lr, steps = _train_epoch(trained, module, batches, loss_fn, opt, device, bar)
            train_loss = replicas.mean_loss(loss_sum, steps)
            if steps != local_steps:
                logger.warning("epoch %d: %d batches, not %d steps per replica", epoch, steps, local_steps)
            module.eval()
            with torch.no_grad():
                score = replicas.agreed_score(float(validate(module)), device)
            best.update(module, epoch, score)
            record = EpochRecord(epoch, train_loss, score, lr, time.perf_counter() - start)
            records.append(record)
            epoch += 1

            # Before on_epoch_end, so a crash there loses nothing; one writer (rank 0) for the one file.
            if config.checkpoint_dir is not None and replicas.writes:
                state = {
                    "fingerprint": fingerprint,
                    "model": module.state_dict(),
                    "optimisation": opt.state_dict(),
                    "early_stopping": best.state_dict(),
                    "history": [asdict(r) for r in records],
                }
                save_checkpoint(state, config.checkpoint_dir)
            replicas.barrier()  # no replica runs ahead of the checkpoint its resume will read
            logger.info("epoch %d/%d loss=%.4f val=%.4f", epoch, config.max_epochs, train_loss, score)
            bar.set_postfix(loss=f"{train_loss:.4f}", val=f"{score:.4f}")
            if on_epoch_end is not None:
                on_epoch_end(record)

    # Running out of patience on the last epoch is not an early stop.
    stopped_early = best.patience_spent and records[-1].epoch + 1 < config.max_epochs
    if stopped_early:
        logger.info("early stop: best epoch %d, then %d without gain", best.epoch, best.since_best)
    if best.weights is not None:
        module.load_state_dict(best.weights)  # copies into the existing parameters: module stays on `device`
    return TrainHistory(records, best.epoch, best.score, stopped_early, str(device))


@dataclass
class _EarlyStopping:
    """Best val score so far, its epoch and weights, and how many epochs have passed without beating it."""

    patience: int  # <= 0: never stop early
    score: float = -math.inf
    epoch: int = -1
    since_best: int = 0
    weights: dict[str, torch.Tensor] | None = None  # on CPU: frees accelerator memory, device-free checkpoint

    @property
    def patience_spent(self) -> bool:
        return 0 < self.patience <= self.since_best

    def update(self, module: torch.nn.Module, epoch: int, score: float) -> None:
        # Strictly higher wins; a NaN score never wins, and any real score beats a NaN best.
        if self.weights is None or (not math.isnan(score) and (math.isnan(self.score) or score > self.score)):
            self.score, self.epoch, self.since_best = score, epoch, 0
            self.weights = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
        else:
            self.since_best += 1

    def state_dict(self) -> dict[str, Any]:
        return {"score": self.score, "epoch": self.epoch, "since_best": self.since_best, "best": self.weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.score, self.epoch, self.since_best = state["score"], state["epoch"], state["since_best"]
        self.weights = {k: v.cpu() for k, v in state["best"].items()}


@dataclass
class _Optimisation:
    """AdamW + per-step LambdaLR + AMP grad scaler: everything an optimizer step touches, saved as one."""

    optimizer: torch.optim.AdamW
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    amp_dtype: torch.dtype | None
    grad_clip: float
    total_steps: int

    @classmethod
    def build(
        cls, module: torch.nn.Module, config: TrainConfig, steps_per_epoch: int, amp_dtype: torch.dtype | None
    ) -> _Optimisation:
        total = config.max_epochs * steps_per_epoch
        warmup = int(config.warmup_fraction * total)
        optimizer = torch.optim.AdamW(param_groups(module, config.weight_decay), lr=config.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: warmup_cosine(step, warmup_steps=warmup, total_steps=total)
        )
        # Loss scaling only for fp16: bf16 and fp32 gradients do not underflow.
        scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
        return cls(optimizer, scheduler, scaler, amp_dtype, config.grad_clip, total)

    def step(self, module: torch.nn.Module, loss: torch.Tensor) -> float:
        """Backward + clipped update + schedule step; returns the lr this update used."""
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()  # outside autocast: grads take the parameters' dtype (fp32)
        if self.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)  # clip the true gradients, not the fp16-scaled ones
            torch.nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)
        lr = float(self.optimizer.param_groups[0]["lr"])
        self.scaler.step(self.optimizer)  # skips the update when fp16 gradients overflowed
        self.scaler.update()
        self.scheduler.step()  # per step, not per epoch: the schedule is defined over all steps
        return lr

    def state_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name).state_dict() for name in ("optimizer", "scheduler", "scaler")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        # Optimizer first: its saved lr must replace the one the scheduler set when it was constructed.
        for name in ("optimizer", "scheduler", "scaler"):
            getattr(self, name).load_state_dict(state[name])


def _train_epoch(
    trained: torch.nn.Module,
    module: torch.nn.Module,
    batches: Iterable[Sequence[torch.Tensor]],
    loss_fn: Callable[[torch.nn.Module, Sequence[torch.Tensor]], torch.Tensor],
    opt: _Optimisation,
    device: torch.device,
    bar: tqdm,
) -> tuple[torch.Tensor, float, int]:
    """One pass over `batches`; returns (summed batch loss, lr of the last step, number of steps).

    `trained` is what the forward pass goes through (the DDP wrapper under a process group, whose backward
    all-reduces the gradients); `module` is the bare network whose parameters the optimizer holds.
    """
    trained.train()
    loss_sum = torch.zeros((), device=device)  # accumulate on device: no host sync per step
    lr, steps = opt.optimizer.param_groups[0]["lr"], 0
    for batch in batches:
        # non_blocking overlaps the host->device copy with compute when the caller pins memory.
        batch = tuple(t.to(device, non_blocking=True) for t in batch)
        with torch.autocast(device.type, dtype=opt.amp_dtype, enabled=opt.amp_dtype is not None):
            loss = loss_fn(trained, batch)  # () scalar
        lr = opt.step(module, loss)
        loss_sum += loss.detach().float()
        steps += 1
        bar.update(1)
    if steps == 0:
        raise ValueError("make_batches yielded no batches")
    return loss_sum, lr, steps
