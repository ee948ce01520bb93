"""`closedloop simulate <model> --fast`: what the loop is worth, measured prequentially, for any kind with a
replay (`ModelKind.replay`).

The stream (the later part of the corpus, in time order) is cut into chunks. Each chunk is first scored by
each policy's current champion — that is the figure, "test then train" — and only then does a policy see what
the chunk's users did, label it and maybe retrain. Everything runs at the stream's simulated time, and each
retrain decision is checked to have read nothing newer than itself. The policies (the kind's replay says
which of them make sense for it):

- frozen: the first champion, trained on the earliest `replay_base_fraction` of the corpus; nothing flows
  back to it, neither folded in nor trained on;
- foldin (a kind that folds interactions in at serving): the same model, ranking each user from their
  logged interactions at request time, never retrained: what fold-in alone is worth;
- loop: clean user feedback and interactions → labels → retrain → gate (on the newest window) → serve;
- loop_noisy: `replay_noisy_share` of user reports wrong, plus simulated annotators answering the labeling
  queue (disputed and uncertain items first), whose labels outrank user feedback.

The torch candidates are left out (CPU minutes per retrain); the kind's replay names a classical one.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from closedloop import clock
from closedloop.kinds import ModelKind
from closedloop.labeling import QueuePolicy
from closedloop.settings import Settings
from closedloop.store import Store, open_store
from replay.annotators import CorpusTruth, SimulatedAnnotators
from replay.contract import KindReplay, kind_replay
from replay.loop import Policy, first_champion
from replay.users import SimulatedUsers

log = logging.getLogger(__name__)
POLICIES = ("frozen", "foldin", "loop", "loop_noisy")  # every policy this driver runs, in reading order
# A retrain runs this long after the chunk's last event: its decision time (labels are derived at the end).
RETRAIN_DELAY = timedelta(minutes=1)
Say = Callable[[str], None]


def run_benchmark(
    model: str, settings: Settings, *, seed: int = 0, say: Say | None = None, workdir: Path | None = None
) -> dict[str, Any]:
    """Run the kind's policies over `model`'s stream; returns per-chunk metrics, summaries and retrains."""
    found, plan = kind_replay(model, settings)  # an unknown model fails before any work
    unknown = set(plan.policies) - set(POLICIES)
    if unknown or "frozen" not in plan.policies:
        raise ValueError(f"{found.name}'s replay names policies {sorted(unknown)}; known: {POLICIES}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="closedloop-replay-") as tmp:
        root = workdir or Path(tmp)
        homes = {name: _home(settings, root / name) for name in plan.policies}
        stores = {name: open_store(home.store_url) for name, home in homes.items()}
        try:
            result = _run(found, settings, homes, stores, seed=seed, say=say or (lambda _: None))
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
    found: ModelKind,
    plan: KindReplay,
    settings: Settings,
    homes: dict[str, Settings],
    stores: dict[str, Store],
    *,
    seed: int,
    say: Say,
) -> tuple[list[Policy], str]:
    frozen_home = homes["frozen"]
    say(f"{found.name}: training the first champion on the earliest {frozen_home.base_fraction:.0%} …")
    with clock.simulated(plan.began()):
        champion, decision, trained_on = first_champion(
            found.name, frozen_home, stores["frozen"], name=plan.candidate
        )
    rate, noisy = settings.replay_feedback_rate, settings.replay_noisy_share

    def policy(label: str, **options: Any) -> Policy:
        return Policy(
            label,
            found.name,
            homes[label],
            champion,
            candidate_name=plan.candidate,
            trained_on=trained_on,
            **options,
        )

    def noisy_loop() -> Policy:
        store = stores["loop_noisy"]
        annotators = SimulatedAnnotators(
            CorpusTruth(found, plan.truth()),
            QueuePolicy(batch_size=max(1, settings.replay_annotation_budget), random_share=0.1, seed=seed),
            describe=found.describer(frozen_home, store.session),
            seed=seed,
            cap=settings.labeling_queue_cap,
        )
        users = SimulatedUsers(rate, noisy, seed=seed)
        return policy("loop_noisy", store=store, users=users, annotators=annotators)

    make = {
        "frozen": lambda: policy("frozen"),
        "foldin": lambda: policy(
            "foldin",
            store=stores["foldin"],
            users=SimulatedUsers(rate, 0.0, seed=seed),
            retrains_enabled=False,
        ),
        "loop": lambda: policy("loop", store=stores["loop"], users=SimulatedUsers(rate, 0.0, seed=seed)),
        "loop_noisy": noisy_loop,
    }
    return [make[name]() for name in POLICIES if name in plan.policies], decision.reason


def _run(
    found: ModelKind,
    settings: Settings,
    homes: dict[str, Settings],
    stores: dict[str, Store],
    *,
    seed: int,
    say: Say,
) -> dict[str, Any]:
    # Bound to the policies' homes: the stream starts where their first champion's training ends.
    plan: KindReplay | None = found.replay(homes["frozen"])
    assert plan is not None, "run_benchmark found the kind's replay"
    policies, first_reason = _policies(found, plan, settings, homes, stores, seed=seed, say=say)
    chunks = plan.chunks(settings.replay_chunks)
    per_chunk: dict[str, list[dict[str, Any]]] = {p.name: [] for p in policies}
    for index, part in enumerate(chunks):
        end = plan.chunk_end(part)
        for policy in policies:
            with clock.simulated(end):
                row = {"chunk": index, "version": policy.version, **plan.score(part, policy)}
                per_chunk[policy.name].append(row)
                if policy.logs:
                    policy.absorb(annotation_budget=settings.replay_annotation_budget)
            if policy.learns:
                with clock.simulated(end + RETRAIN_DELAY):
                    policy.maybe_retrain(index)
        say(_progress_line(found.name, plan.metric, index, per_chunk))
    overall = {name: plan.summarize(rows) for name, rows in per_chunk.items()}
    return {
        "model": found.name,
        "candidate": plan.candidate,
        "metric": plan.metric,
        "metrics": list(plan.metrics),
        "base_fraction": homes["frozen"].base_fraction,
        "stream": sum(len(part) for part in chunks),
        "chunks": [len(part) for part in chunks],
        "feedback_rate": settings.replay_feedback_rate,
        "noisy_share": settings.replay_noisy_share,
        "label_trigger_count": settings.label_trigger_count,
        "annotation_budget": settings.replay_annotation_budget,
        "gate_window_fraction": settings.gate_window_fraction,
        "gate_min_window": settings.gate_min_window,
        "gate_refit_window": settings.gate_refit_window,
        **plan.setup(),
        "first_champion_gate": first_reason,
        "policies": {
            p.name: {
                "per_chunk": per_chunk[p.name],
                "overall": overall[p.name],
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
        "targets": plan.targets(overall),
    }


def _progress_line(model: str, metric: str, index: int, per_chunk: dict[str, list[dict[str, Any]]]) -> str:
    parts = [f"{name} {rows[-1][metric]:.3f} (v{rows[-1]['version']})" for name, rows in per_chunk.items()]
    return f"{model} chunk {index + 1}: " + ", ".join(parts)
