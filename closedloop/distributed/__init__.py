"""Training under `torchrun`: the launcher (`launch.py`) runs a job in N processes, the worker (`worker.py`)
joins each process to the group (gloo on CPU, NCCL on CUDA), and `jobs.py` holds the jobs the CLI and the
retrain flow send there. The data-parallel loop itself lives in `models.training`."""

from closedloop.distributed.launch import DistributedRunFailed, run_distributed

__all__ = ["DistributedRunFailed", "run_distributed"]
