"""Run the benchmark suites: `python -m bench [--only SUITE ...] [--kind KIND]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import (
    cli,
    curve,
    dashboard,
    ddp,
    gate_power,
    labeling,
    login,
    loop,
    replay,
    retraining,
    scoring,
    serving,
    training,
)
from bench.machine import describe_machine, machine_line
from bench.report import splice_readme, write_results

SUITES = {
    "train": training,
    "retrain": retraining,
    "serving": serving,
    "scoring": scoring,
    "dashboard": dashboard,
    "curve": curve,
    "labeling": labeling,
    "login": login,
    "loop": loop,
    "replay": replay,
    "gate": gate_power,
    "ddp": ddp,
    "cli": cli,
}
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), help="run only these suites")
    parser.add_argument(
        "--kind",
        help="measure only this model kind (a suite with one figure measures, by default, the first "
        "registered kind that takes part in it)",
    )
    args = parser.parse_args()
    machine = describe_machine()
    for name in args.only or list(SUITES):
        suite = SUITES[name]
        print(f"bench: running the {name} suite …", flush=True)
        results = suite.run(args.kind)
        write_results(ROOT / "bench" / "results.json", {**results, f"machine_{name}": machine})
        body = f"Measured by `make bench` on {machine_line(machine)}.\n\n{suite.tables(results)}"
        splice_readme(ROOT / "README.md", name, body)
        print(body, flush=True)


if __name__ == "__main__":
    main()
