"""One replica of a `run_distributed` job, started by torchrun: `python -m closedloop.distributed.worker DIR`.

torchrun hands each process its rank, world size and rendezvous address in the environment, which
`init_process_group` reads (the `env://` method). The backend follows the hardware: NCCL when CUDA is
visible, each process pinned to its own device, gloo on CPU.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist

from closedloop.distributed.launch import JOB_FILE, RESULT_FILE


def backend() -> str:
    """NCCL on CUDA machines, gloo on CPU."""
    return "nccl" if torch.cuda.is_available() else "gloo"


@contextmanager
def process_group() -> Iterator[None]:
    """Join the group torchrun set up, and leave it cleanly (NCCL warns about a group never destroyed)."""
    chosen = backend()
    if chosen == "nccl":
        # One device per process: the local rank picks it, so "cuda" in the model means this device.
        torch.cuda.set_device(dist.get_node_local_rank(fallback_rank=0) % torch.cuda.device_count())
    dist.init_process_group(backend=chosen)
    try:
        yield
    finally:
        dist.destroy_process_group()


def main(job_dir: Path) -> None:
    """Run the job in this replica; rank 0 writes the result next to the job."""
    function, kwargs = pickle.loads((job_dir / JOB_FILE).read_bytes())
    with process_group():
        result = function(**kwargs)
        if dist.get_rank() == 0:
            tmp = job_dir / (RESULT_FILE + ".tmp")
            tmp.write_bytes(pickle.dumps(result))
            tmp.replace(job_dir / RESULT_FILE)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
