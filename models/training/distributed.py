"""Data-parallel training inside the shared loop: what changes when a process group is running.

The loop never starts or joins a process group (that is the launcher's job: `torchrun` plus whoever calls
`init_process_group`); it asks `Replicas.current()` whether it runs as one of several replicas and, if so,
wraps the module in `DistributedDataParallel`, hands each replica its share of every epoch's batches through
a `DistributedSampler`, all-reduces the epoch's metrics, and lets rank 0 alone write checkpoints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler


@dataclass(frozen=True)
class Replicas:
    """This process's place among the replicas: (rank, world size); world 1 is a plain single-process run."""

    rank: int = 0
    world: int = 1

    @classmethod
    def current(cls) -> Replicas:
        """The running process group's rank and size, or a single replica when none is initialised."""
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size())
        return cls()

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def writes(self) -> bool:
        """Rank 0 writes checkpoints (one file, one writer) and reports."""
        return self.rank == 0

    def batch_size(self, global_batch: int) -> int:
        """The batch each replica draws so that one synchronised step still sees `global_batch` rows.

        DDP averages the replicas' gradients, so with equal shards a step's gradient is the one a single
        process computes on the whole global batch: the same number of steps, the same learning-rate schedule,
        the same optimisation, with each replica doing 1/world of the work. (Keeping the per-replica batch
        instead would halve the steps at twice the batch, a different and, measured, worse optimisation.)
        """
        return max(1, global_batch // self.world)

    def local_steps(self, steps_per_epoch: int) -> int:
        """Optimizer steps per replica and epoch: the sampler pads the batch list to a multiple of world."""
        return math.ceil(steps_per_epoch / self.world)

    def wrap(self, module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """The module whose forward synchronises gradients (DDP), or `module` itself for one replica."""
        if not self.distributed:
            return module
        if device.type != "cuda":
            return DistributedDataParallel(module)  # CPU: no device_ids
        index = device.index if device.index is not None else torch.cuda.current_device()
        return DistributedDataParallel(module, device_ids=[index])

    def share(
        self, batches: Iterable[Sequence[torch.Tensor]], epoch: int
    ) -> Iterable[Sequence[torch.Tensor]]:
        """This replica's batches of the epoch.

        Every replica builds the same epoch (same seeded permutation); the sampler deals out whole batches,
        rank r taking r, r+world, ..., and pads by repeating the first ones so every replica takes the same
        number of steps: a replica that finished early would leave the others waiting in all-reduce forever.
        """
        if not self.distributed:
            return batches
        epoch_batches = list(batches)
        sampler: DistributedSampler[Any] = DistributedSampler(
            epoch_batches,  # type: ignore[arg-type]  # a list is a map-style dataset (len + getitem)
            num_replicas=self.world,
            rank=self.rank,
            shuffle=False,  # the model's make_batches already shuffled, from the epoch's seed
        )
        sampler.set_epoch(epoch)
        return [epoch_batches[i] for i in sampler]

    def mean_loss(self, loss_sum: torch.Tensor, steps: int) -> float:
        """Mean batch loss over every replica's steps (a SUM all-reduce of loss and step count)."""
        if not self.distributed:
            return loss_sum.item() / steps
        totals = torch.stack([loss_sum.float(), torch.tensor(float(steps), device=loss_sum.device)])
        dist.all_reduce(totals, op=dist.ReduceOp.SUM)
        return float(totals[0] / totals[1])

    def agreed_score(self, score: float, device: torch.device) -> float:
        """The validation score averaged over replicas, so every replica makes the same early-stopping call.

        Replicas hold identical weights after each synchronised step, so the scores agree up to float noise;
        averaging removes even that, and a diverging stop decision would deadlock the next all-reduce. (SUM,
        then divide: gloo has no AVG.)
        """
        if not self.distributed:
            return score
        value = torch.tensor([score], dtype=torch.float64, device=device)
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        return float(value.item() / self.world)

    def barrier(self) -> None:
        """Wait for every replica (e.g. until rank 0 has written the checkpoint a resume would read)."""
        if self.distributed:
            dist.barrier()
