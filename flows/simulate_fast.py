"""`closedloop simulate spam|recsys --fast`: what the loop is worth, measured prequentially.

The stream (the later part of the corpus, in time order) is cut into chunks. Each chunk is first scored by
each policy's current champion — that is the figure, "test then train" — and only then does a learning
policy see the chunk's feedback, label it and maybe retrain. Three policies:

- frozen: the first champion, trained on the earliest `replay_base_fraction` of the corpus, forever;
- loop: clean user feedback → consensus labels → retrain → gate;
- loop_noisy: `replay_noisy_share` of user feedback wrong, plus simulated annotators answering the labeling
  queue (disputed and uncertain items first), whose labels outrank user feedback.

The torch candidates are left out (CPU minutes per retrain); the classical ones are what the gate sees.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from closedloop.labeling import QueuePolicy, item_describer
from closedloop.replay.annotators import CorpusTruth, SimulatedAnnotators
from closedloop.replay.loop import Policy, first_champion
from closedloop.replay.prequential import recsys_chunk, spam_chunk, summarize
from closedloop.replay.stream import later_messages, later_ratings, visits
from closedloop.replay.users import SimulatedUsers
from closedloop.settings import Settings
from closedloop.store import open_store

log = logging.getLogger(__name__)
CANDIDATE = {"spam": "baseline", "recsys": "knn"}
POLICIES = ("frozen", "loop", "loop_noisy")
Say = Callable[[str], None]


def run_benchmark(
    model: str, settings: Settings, *, seed: int = 0, say: Say | None = None, workdir: Path | None = None
) -> dict[str, Any]:
    """Run the three policies over `model`'s stream; returns per-chunk metrics, summaries and retrains."""
    if model not in CANDIDATE:
        raise ValueError(f"unknown model {model!r}; choose spam or recsys")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="closedloop-replay-") as tmp:
        root = workdir or Path(tmp)
        homes = {name: _home(settings, root / name) for name in POLICIES}
        stores = {name: open_store(home.store_url) for name, home in homes.items()}
        try:
            result = _run(model, settings, homes, stores, seed=seed, say=say or (lambda _: None))
        finally:
            for store in stores.values():
                store.close()
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _home(settings: Settings, home: Path) -> Settings:
    """A private home per policy (own store), reading the same corpus cache."""
    return settings.model_copy(
        update={
            "home": home,
            "data_dir": settings.corpus_dir,
            "database_url": None,
            "base_fraction": settings.replay_base_fraction,
        }
    )


def _run(
    model: str, settings: Settings, homes: dict[str, Settings], stores: dict[str, Any], *, seed: int, say: Say
) -> dict[str, Any]:
    frozen_home = homes["frozen"]
    name = CANDIDATE[model]
    say(f"{model}: training the first champion on the earliest {frozen_home.base_fraction:.0%} …")
    champion, decision = first_champion(model, frozen_home, stores["frozen"], name=name)
    if model == "spam":
        stream: Any = later_messages(frozen_home)
        truth = CorpusTruth.spam(stream)
    else:
        ratings = later_ratings(frozen_home)
        stream, truth = visits(ratings), CorpusTruth.recsys(ratings)
    rate, noisy = settings.replay_feedback_rate, settings.replay_noisy_share
    queue = QueuePolicy(batch_size=max(1, settings.replay_annotation_budget), random_share=0.1, seed=seed)
    policies = [
        Policy("frozen", model, frozen_home, champion),
        Policy(
            "loop", model, homes["loop"], champion, store=stores["loop"],
            users=SimulatedUsers(rate, 0.0, seed=seed), candidate_name=name,
        ),
        Policy(
            "loop_noisy", model, homes["loop_noisy"], champion, store=stores["loop_noisy"],
            users=SimulatedUsers(rate, noisy, seed=seed), candidate_name=name,
            annotators=SimulatedAnnotators(
                truth, queue, describe=item_describer(frozen_home, model), seed=seed  # type: ignore[arg-type]
            ),
        ),
    ]  # fmt: skip
    bounds = np.array_split(np.arange(len(stream)), settings.replay_chunks)
    per_chunk: dict[str, list[dict[str, Any]]] = {p.name: [] for p in policies}
    for index, rows in enumerate(bounds):
        part = stream.iloc[rows] if model == "spam" else [stream[i] for i in rows]
        for policy in policies:
            score = spam_chunk if model == "spam" else recsys_chunk
            per_chunk[policy.name].append({"chunk": index, "version": policy.version, **score(policy, part)})
            if policy.learns:
                policy.learn(index, annotation_budget=settings.replay_annotation_budget)
        say(_progress_line(model, index, per_chunk))
    return {
        "model": model,
        "candidate": name,
        "base_fraction": frozen_home.base_fraction,
        "stream": len(stream),
        "chunks": [len(rows) for rows in bounds],
        "feedback_rate": rate,
        "noisy_share": noisy,
        "label_trigger_count": settings.label_trigger_count,
        "annotation_budget": settings.replay_annotation_budget,
        "first_champion_gate": decision.reason,
        "policies": {
            p.name: {
                "per_chunk": per_chunk[p.name],
                "overall": summarize(model, per_chunk[p.name]),
                "retrains": [r.__dict__ for r in p.retrains],
                "feedback": p.feedback,
                "wrong_feedback": p.wrong_feedback,
                "annotated": p.annotated,
                "final_version": p.version,
            }
            for p in policies
        },
        **_targets(model, per_chunk),
    }


def _targets(model: str, per_chunk: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    if model != "spam":
        return {}
    overall = {name: summarize(model, rows) for name, rows in per_chunk.items()}
    gain = 100 * (overall["loop"]["f1"] - overall["frozen"]["f1"])
    noisy_gain = 100 * (overall["loop_noisy"]["f1"] - overall["frozen"]["f1"])
    return {
        "targets": {
            "loop_minus_frozen_f1_points": round(gain, 2),
            "loop_fpr": overall["loop"]["fpr"],
            "noisy_minus_frozen_f1_points": round(noisy_gain, 2),
            "met": {
                "loop_gain_ge_10": gain >= 10,
                "loop_fpr_le_1pct": overall["loop"]["fpr"] <= 0.01,
                "noisy_gain_ge_8": noisy_gain >= 8,
            },
        }
    }


def _progress_line(model: str, index: int, per_chunk: dict[str, list[dict[str, Any]]]) -> str:
    metric = "f1" if model == "spam" else "ndcg@10"
    parts = [f"{name} {rows[-1][metric]:.3f} (v{rows[-1]['version']})" for name, rows in per_chunk.items()]
    return f"{model} chunk {index + 1}: " + ", ".join(parts)
