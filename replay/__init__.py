"""The replay driver, an entry point beside the CLI and the benchmarks: it streams the later part of a kind's
corpus as traffic, live through the HTTP API (`live`) or headless and prequentially against a frozen first
champion (`prequential`), with simulated users and annotators. What differs between kinds comes from the
kind's replay (`ModelKind.replay`, the shape `contract.KindReplay`); nothing here names a kind.
"""

from closedloop.kinds.simulation import NothingToReplay
from replay.contract import KindReplay, NoReplay, kind_replay, replays
from replay.desk import AnnotationDesk
from replay.live import ApiUnavailable, ReplayOptions, ReplayTally, replay
from replay.prequential import POLICIES, run_benchmark

__all__ = [
    "POLICIES",
    "AnnotationDesk",
    "ApiUnavailable",
    "KindReplay",
    "NoReplay",
    "NothingToReplay",
    "ReplayOptions",
    "ReplayTally",
    "kind_replay",
    "replay",
    "replays",
    "run_benchmark",
]
