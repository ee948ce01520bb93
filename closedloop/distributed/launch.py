"""Run one job in N processes under `torchrun` (torch.distributed.run) and return rank 0's result.

The job is a module-level function and its keyword arguments, pickled into a private temp directory; each
process unpickles it (`closedloop.distributed.worker`), joins the process group and calls it; rank 0 pickles
the return value back. `--standalone` makes torchrun pick a free local rendezvous port, so two launches on one
machine (two tests, two retrains) never collide.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

JOB_FILE = "job.pkl"
RESULT_FILE = "result.pkl"


class DistributedRunFailed(RuntimeError):
    """torchrun exited non-zero (a replica raised or was killed); its stderr went to this process's stderr."""


def torchrun_command(nproc: int, job_dir: Path) -> list[str]:
    """The command line that runs the job in `job_dir` on `nproc` local processes."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        "-m",
        "closedloop.distributed.worker",
        str(job_dir),
    ]


def run_distributed(function: Callable[..., Any], nproc: int, **kwargs: Any) -> Any:
    """`function(**kwargs)` in `nproc` processes under torchrun; returns what rank 0's call returned.

    `function` must be importable by name (module level) and `kwargs` picklable. Raises ValueError for
    nproc < 1 and DistributedRunFailed when any replica fails.
    """
    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, got {nproc}")
    with tempfile.TemporaryDirectory(prefix="closedloop-ddp-") as scratch:
        job_dir = Path(scratch)
        (job_dir / JOB_FILE).write_bytes(pickle.dumps((function, kwargs)))
        command = torchrun_command(nproc, job_dir)
        logger.info("torchrun: %s on %d processes", function.__qualname__, nproc)
        # stdout is the caller's (e.g. the CLI's one JSON line): the replicas' chatter goes to stderr.
        done = subprocess.run(command, stdout=2, check=False)  # fd 2: works under any capture
        if done.returncode != 0:
            raise DistributedRunFailed(
                f"torchrun ({nproc} processes) of {function.__qualname__} exited with {done.returncode}; "
                "the failing replica's error is above"
            )
        return pickle.loads((job_dir / RESULT_FILE).read_bytes())
