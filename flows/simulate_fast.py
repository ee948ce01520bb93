"""`closedloop simulate spam|recsys --fast`: what the loop is worth, measured prequentially.

The stream (the later part of the corpus, in time order) is cut into chunks. Each chunk is first scored by
each policy's current champion — that is the figure, "test then train" — and only then does a policy see what
the chunk's users did, label it and maybe retrain. Everything runs at the stream's simulated time, and each
retrain decision is checked to have read nothing newer than itself. The policies:

- frozen: the first champion, trained on the earliest `replay_base_fraction` of the corpus; nothing flows
  back to it, neither folded in nor trained on;
- foldin (recommender only): the same model, ranking each user from their logged interactions at request
  time, never retrained: what fold-in alone is worth;
- loop: clean user feedback and interactions → labels → retrain → gate (on the newest window) → serve;
- loop_noisy: `replay_noisy_share` of user reports wrong, plus simulated annotators answering the labeling
  queue (disputed and uncertain items first), whose labels outrank user feedback.

The torch candidates are left out (CPU minutes per retrain); the classical ones are what the gate sees.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from closedloop import clock
from closedloop.labeling import QueuePolicy, item_describer
from closedloop.replay.annotators import CorpusTruth, SimulatedAnnotators
from closedloop.replay.loop import Policy, first_champion
from closedloop.replay.prequential import recsys_chunk, spam_chunk, summarize
from closedloop.replay.stream import Visit, later_messages, later_ratings, visits
from closedloop.replay.users import SimulatedUsers
from closedloop.settings import Settings
from closedloop.store import open_store

log = logging.getLogger(__name__)
CANDIDATE = {"spam": "baseline", "recsys": "knn"}
POLICIES = {"spam": ("frozen", "loop", "loop_noisy"), "recsys": ("frozen", "foldin", "loop", "loop_noisy")}
# A retrain runs this long after the chunk's last event: its decision time (labels are derived at the end).
RETRAIN_DELAY = timedelta(minutes=1)
Say = Callable[[str], None]


def run_benchmark(
    model: str, settings: Settings, *, seed: int = 0, say: Say | None = None, workdir: Path | None = None
) -> dict[str, Any]:
    """Run every policy over `model`'s stream; returns per-chunk metrics, summaries and retrains."""
    if model not in CANDIDATE:
        raise ValueError(f"unknown model {model!r}; choose spam or recsys")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="closedloop-replay-") as tmp:
        root = workdir or Path(tmp)
        homes = {name: _home(settings, root / name) for name in POLICIES[model]}
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


def _policies(
    model: Any, settings: Settings, homes: dict[str, Settings], stores: dict[str, Any], *, seed: int, say: Say
) -> tuple[list[Policy], Any, str, Any]:
    frozen_home = homes["frozen"]
    name = CANDIDATE[model]
    say(f"{model}: training the first champion on the earliest {frozen_home.base_fraction:.0%} …")
    with clock.simulated(_base_end(model, frozen_home)):
        champion, decision, trained_on = first_champion(model, frozen_home, stores["frozen"], name=name)
    if model == "spam":
        stream: Any = later_messages(frozen_home)
        truth = CorpusTruth.spam(stream)
    else:
        ratings = later_ratings(frozen_home)
        stream, truth = visits(ratings), CorpusTruth.recsys(ratings)
    rate, noisy = settings.replay_feedback_rate, settings.replay_noisy_share
    queue = QueuePolicy(batch_size=max(1, settings.replay_annotation_budget), random_share=0.1, seed=seed)

    def policy(label: str, **options: Any) -> Policy:
        return Policy(
            label, model, homes[label], champion, candidate_name=name, trained_on=trained_on, **options
        )

    policies = [policy("frozen")]
    if model == "recsys":
        users = SimulatedUsers(rate, 0.0, seed=seed)
        policies.append(policy("foldin", store=stores["foldin"], users=users, retrains_enabled=False))
    policies.append(policy("loop", store=stores["loop"], users=SimulatedUsers(rate, 0.0, seed=seed)))
    policies.append(
        policy(
            "loop_noisy",
            store=stores["loop_noisy"],
            users=SimulatedUsers(rate, noisy, seed=seed),
            annotators=SimulatedAnnotators(
                truth,
                queue,
                describe=item_describer(frozen_home, model, sessions=stores["loop_noisy"].session),
                seed=seed,  # type: ignore[arg-type]
            ),
        )
    )
    return policies, stream, decision.reason, trained_on


def _run(
    model: str, settings: Settings, homes: dict[str, Settings], stores: dict[str, Any], *, seed: int, say: Say
) -> dict[str, Any]:
    policies, stream, first_reason, _ = _policies(model, settings, homes, stores, seed=seed, say=say)
    bounds = np.array_split(np.arange(len(stream)), settings.replay_chunks)
    per_chunk: dict[str, list[dict[str, Any]]] = {p.name: [] for p in policies}
    score = spam_chunk if model == "spam" else recsys_chunk
    for index, rows in enumerate(bounds):
        part = stream.iloc[rows] if model == "spam" else [stream[i] for i in rows]
        end = _chunk_end(part)
        for policy in policies:
            with clock.simulated(end):
                row = {"chunk": index, "version": policy.version, **score(policy, part)}
                per_chunk[policy.name].append(row)
                if policy.logs:
                    policy.absorb(annotation_budget=settings.replay_annotation_budget)
            if policy.learns:
                with clock.simulated(end + RETRAIN_DELAY):
                    policy.maybe_retrain(index)
        say(_progress_line(model, index, per_chunk))
    base_fraction = homes["frozen"].base_fraction
    return {
        "model": model,
        "candidate": CANDIDATE[model],
        "base_fraction": base_fraction,
        "stream": len(stream),
        "chunks": [len(rows) for rows in bounds],
        "feedback_rate": settings.replay_feedback_rate,
        "noisy_share": settings.replay_noisy_share,
        "label_trigger_count": settings.label_trigger_count,
        "annotation_budget": settings.replay_annotation_budget,
        "gate_window_fraction": settings.gate_window_fraction,
        "gate_min_window": settings.gate_min_window,
        "gate_refit_window": settings.gate_refit_window,
        "spam_target_fpr": settings.spam_target_fpr,
        "first_champion_gate": first_reason,
        "policies": {
            p.name: {
                "per_chunk": per_chunk[p.name],
                "overall": summarize(model, per_chunk[p.name]),
                "retrains": [r.__dict__ for r in p.retrains],
                "feedback": p.feedback,
                "interactions": p.interactions,
                "wrong_feedback": p.wrong_feedback,
                "annotated": p.annotated,
                "final_version": p.version,
            }
            for p in policies
        },
        "no_future_reads": all(r.read_only_past for p in policies for r in p.retrains),
        **_targets(model, per_chunk),
    }


def _base_end(model: str, settings: Settings) -> datetime:
    """The simulated time of the first champion's training: just after the base period's last event."""
    if model == "spam":
        first = later_messages(settings)["date"].min()
        return pd.Timestamp(first).to_pydatetime() - timedelta(seconds=1)
    first_rating = int(later_ratings(settings)["timestamp"].min())
    return datetime.fromtimestamp(first_rating - 1, tz=UTC)


def _chunk_end(part: Any) -> datetime:
    """The time of the chunk's last event: what the policies know of by the end of it."""
    if isinstance(part, pd.DataFrame):
        return pd.Timestamp(part["date"].max()).to_pydatetime()
    last = max(max(visit.rated_at.values()) for visit in part if isinstance(visit, Visit))
    return datetime.fromtimestamp(last, tz=UTC)


def _targets(model: str, per_chunk: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    overall = {name: summarize(model, rows) for name, rows in per_chunk.items()}
    if model == "recsys":
        frozen = overall["frozen"]["ndcg@10"]
        ratio = {name: round(o["ndcg@10"] / frozen, 3) if frozen else None for name, o in overall.items()}
        return {
            "targets": {
                "ratio_to_frozen": ratio,
                "loop_over_foldin": round(overall["loop"]["ndcg@10"] / overall["foldin"]["ndcg@10"], 3),
            }
        }
    gain = 100 * (overall["loop"]["f1"] - overall["frozen"]["f1"])
    noisy_gain = 100 * (overall["loop_noisy"]["f1"] - overall["frozen"]["f1"])
    return {
        "targets": {
            "loop_minus_frozen_f1_points": round(gain, 2),
            "loop_fpr": overall["loop"]["fpr"],
            "noisy_minus_frozen_f1_points": round(noisy_gain, 2),
            "noisy_fpr": overall["loop_noisy"]["fpr"],
        }
    }


def _progress_line(model: str, index: int, per_chunk: dict[str, list[dict[str, Any]]]) -> str:
    metric = "f1" if model == "spam" else "ndcg@10"
    parts = [f"{name} {rows[-1][metric]:.3f} (v{rows[-1]['version']})" for name, rows in per_chunk.items()]
    return f"{model} chunk {index + 1}: " + ", ".join(parts)
