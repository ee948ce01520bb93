"""The retraining flow: snapshot fresh data → validate → train candidates (in parallel) → evaluate →
register → gate → promote or not → emit an event.

A candidate that cannot be trained (bad data for it, a bug) is recorded as a FAILED MLflow run tagged with its
error and skipped; when none can be trained the flow ends with a "no_candidate" decision and the champion
stays. A failure anywhere else before the promotion leaves the champion alias untouched (promotion is the
last write), and the failed flow run shows which task broke. MLflow calls retry on transient errors.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import mlflow
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.events import emit_event
from prefect.task_runners import ThreadPoolTaskRunner

from closedloop import registry
from closedloop.kinds import kind
from closedloop.registry import tracking
from closedloop.registry.decisions import decision_tags
from closedloop.registry.packaging import ARTIFACT, load_wrapper, log_wrapper
from closedloop.registry.pending import abandon, abandon_orphans, register_pending
from closedloop.retraining import pipeline
from closedloop.retraining.candidate import Candidate
from closedloop.retraining.pipeline import Watermarks
from closedloop.settings import Settings, get_settings
from closedloop.store import Store, derive_feedback_labels, open_store
from flows.candidates import (
    CandidateFailure,
    lineage_tags,
    record_failures,
    train_candidate,
)
from flows.candidates import transient as _transient

log = logging.getLogger(__name__)


@dataclass
class RetrainResult:
    task: str
    version: str
    promoted: bool
    reason: str
    champion: str | None
    evidence: dict[str, Any]
    failed: list[str] = field(default_factory=list)  # candidates that could not be trained


class RetrainError(RuntimeError):
    """The retrain could not run to a decision (kept for callers that catch it)."""


@task(name="snapshot-and-validate", cache_policy=NO_CACHE)
def snapshot(model: str, settings: Settings, store: Store, trained_on: Watermarks) -> Any:
    """Turn agreed user feedback into labels, then snapshot base corpus + labels (+ interactions) and
    validate it; what the champion (`trained_on`) has not seen supplies the gate's window."""
    with store.session() as session:
        derived = derive_feedback_labels(
            session,
            kind=kind(model),
            trust=settings.feedback_trust,
            untrusted_weight=settings.untrusted_vote_weight,
        )  # type: ignore[arg-type]
    get_run_logger().info(
        "feedback → labels: %d written, %d disputed", len(derived.written), len(derived.disputed)
    )
    return pipeline.snapshot(kind(model), settings, store, trained_on)


@task(
    name="log-and-register",
    retries=3,
    retry_delay_seconds=2,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def log_and_register(
    model: str,
    candidates: list[Candidate],
    data: Any,
    settings: Settings,
    reason: str,
) -> tuple[str, str, Candidate]:
    """One MLflow run per candidate (params, per-epoch metrics, report, lineage, model); the candidate with
    the best validation score is registered, tagged pending (the gate replaces that with its verdict).
    Returns (version, run_id, winner)."""
    tracking.configure(settings)
    name = registry.registered_name(model)
    winner = max(candidates, key=lambda c: c.selection_score)
    tags = lineage_tags(data, reason)
    version, run_id = "", ""
    for cand in candidates:
        with tracking.training_run(
            settings, experiment=name, run_name=f"{model}-{cand.name}", tags=tags
        ) as run:
            mlflow.log_params(tracking.flatten_params(cand.params))
            for record in cand.history:
                tracking.log_epoch(record)
            tracking.log_metrics(
                {
                    "selection_score": cand.selection_score,
                    "train_seconds": cand.seconds,
                    **cand.holdout_metrics,
                }
            )
            tracking.log_json({"lineage": data.lineage, "validation": data.validation}, "lineage.json")
            tracking.log_json(
                {
                    "holdout": cand.holdout_metrics,
                    "selection_score": cand.selection_score,
                    "threshold": cand.threshold,
                },
                "evaluation.json",
            )
            found = kind(model)
            log_wrapper(pipeline.wrap(found, cand, data), example=found.input_example(), registered_name=None)
            if cand is winner:
                run_id = run.info.run_id
                version = register_pending(model_uri=f"runs:/{run_id}/{ARTIFACT}", name=name)
    return version, run_id, winner


def _no_candidate(
    model: str, reason: str, failed: list[CandidateFailure], runs: dict[str, str], champion: str | None
) -> RetrainResult:
    """The decision when no candidate could be trained: nothing registered, the champion stays."""
    why = "no candidate could be trained: " + "; ".join(f"{f.name}: {f.error}" for f in failed)
    emit_event(
        event="closedloop.model.refused",
        resource={"prefect.resource.id": f"closedloop.model.{registry.registered_name(model)}"},
        payload={"version": None, "reason": why, "trigger": reason},
    )
    evidence = {
        "rule": "no_candidate",
        "champion_version": champion,
        "failures": {f.name: {"error": f.error, "run_id": runs.get(f.name)} for f in failed},
    }
    return RetrainResult(
        task=model,
        version="",
        promoted=False,
        reason=why,
        champion=champion,
        evidence=evidence,
        failed=[f.name for f in failed],
    )


@task(name="gate", retries=2, retry_delay_seconds=2, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def gate(
    model: str,
    version: str,
    run_id: str,
    winner: Candidate,
    data: Any,
    settings: Settings,
    store: Store,
    actor: str,
) -> tuple[bool, str, dict[str, Any]]:
    """Compare the new version with the champion, record the decision everywhere, then mark the version
    challenger: the alias never points at a version without a verdict."""
    client = tracking.configure(settings)
    name = registry.registered_name(model)
    current = registry.aliased_version(client, name=name, alias=registry.CHAMPION)
    champion = load_wrapper(f"models:/{name}@{registry.CHAMPION}") if current is not None else None
    decision = pipeline.judge(kind(model), winner, champion, data, settings)
    evidence = {
        **decision.evidence,
        "champion_version": str(current.version) if current else None,
        "challenger_version": version,
    }
    tags = decision_tags(decision, champion_version=evidence["champion_version"])
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
        client.set_tag(run_id, key, value)
    client.log_text(run_id, json.dumps(evidence, indent=2, default=str), "gate/evidence.json")
    registry.move_alias(
        client,
        store,
        name=name,
        alias=registry.CHALLENGER,
        version=version,
        actor=actor,
        reason=f"gated: {decision.reason}"[:500],
    )
    return decision.promote, decision.reason, evidence


@task(name="refit", cache_policy=NO_CACHE)
def refit(
    model: str, winner: Candidate, data: Any, settings: Settings, gated_version: str, reason: str
) -> str:
    """Refit the promoted challenger with its window included and register that as the version to serve;
    the gated version keeps its verdict, the refit one says what it was refit from."""
    client = tracking.configure(settings)
    full = data.refit()
    model_fit = pipeline.train(kind(model), full, settings, winner.name)
    version, run_id, _ = log_and_register.fn(model, [model_fit], full, settings, reason)
    name = registry.registered_name(model)
    for key, value in {"gate.refit_of": gated_version, "gate.decision": "promote"}.items():
        client.set_model_version_tag(name, version, key, value)
        client.set_tag(run_id, key, value)
    return version


@task(name="promote", retries=3, retry_delay_seconds=2, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def promote(
    model: str,
    version: str,
    reason: str,
    evidence: dict[str, Any],
    settings: Settings,
    store: Store,
    actor: str,
) -> None:
    client = tracking.configure(settings)
    registry.promote(
        client,
        store,
        name=registry.registered_name(model),
        version=version,
        actor=actor,
        reason=reason,
        evidence=evidence,
    )


@flow(name="retrain", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def retrain(model: str, reason: str = "manual", candidates: list[str] | None = None) -> RetrainResult:
    """Retrain the kind `model` from fresh data; promote the winner only if the gate agrees."""
    kind(model)  # an unknown kind fails here, naming the registered ones
    settings = get_settings()
    store = open_store(settings.store_url)
    logger = get_run_logger()
    flow_run = getattr(get_run_context(), "flow_run", None)
    actor = f"prefect:flow-run/{flow_run.id}" if flow_run is not None else "cli"
    names = candidates or pipeline.candidate_names(kind(model), settings)
    client = tracking.configure(settings)
    for left in abandon_orphans(client, store, name=registry.registered_name(model)):
        logger.warning("v%s was left pending by a retrain that died; marked abandoned", left)
    try:
        data: Any = snapshot(model, settings, store, champion_watermarks(settings, model))
        logger.info(
            "snapshot: %s; validation: %s",
            {k: data.lineage[k] for k in ("n_train", "n_holdout", "n_recent")}
            | {"window": data.lineage["window"]},
            data.validation,
        )
        futures = [train_candidate.submit(model, n, data, settings) for n in names]
        outcomes = [f.result() for f in futures]
        trained = [o for o in outcomes if isinstance(o, Candidate)]
        failed = [o for o in outcomes if isinstance(o, CandidateFailure)]
        for failure in failed:
            logger.warning("candidate %s skipped: %s", failure.name, failure.error)
        runs = record_failures(model, failed, data, settings, reason) if failed else {}
        if not trained:
            logger.warning("no candidate could be trained; the champion stays")
            return _no_candidate(model, reason, failed, runs, _champion_version(settings, model))
        for cand in trained:
            logger.info(
                "candidate %s: selection %.4f, holdout %s (%.1fs)",
                cand.name,
                cand.selection_score,
                {k: round(v, 4) for k, v in cand.holdout_metrics.items()},
                cand.seconds,
            )
        version, run_id, winner = log_and_register(model, trained, data, settings, reason)
        try:
            promoted, why, evidence = gate(model, version, run_id, winner, data, settings, store, actor)
        except Exception as error:
            abandon(
                client,
                store,
                name=registry.registered_name(model),
                version=version,
                why=f"the gate failed: {type(error).__name__}: {error}",
            )
            raise
        if failed:
            evidence = {**evidence, "failed_candidates": {f.name: f.error for f in failed}}
        logger.info("gate on %s v%s: %s", registry.registered_name(model), version, why)
        serving = version
        if promoted:
            if settings.gate_refit_window and len(data.window):
                serving = refit(model, winner, data, settings, version, reason)
                evidence = {**evidence, "refit_version": serving}
                why = f"{why}; serving v{serving}, refit with the window"
            promote(model, serving, why, evidence, settings, store, actor)
        emit_event(
            event="closedloop.model.promoted" if promoted else "closedloop.model.refused",
            resource={"prefect.resource.id": f"closedloop.model.{registry.registered_name(model)}"},
            payload={"version": serving, "reason": why, "trigger": reason},
        )
        champion = serving if promoted else evidence.get("champion_version")
        return RetrainResult(
            task=model,
            version=version,
            promoted=promoted,
            reason=why,
            champion=champion,
            evidence=evidence,
            failed=[f.name for f in failed],
        )
    finally:
        store.close()


def _champion_version(settings: Settings, model: str) -> str | None:
    client = tracking.configure(settings)
    current = registry.aliased_version(client, name=registry.registered_name(model), alias=registry.CHAMPION)
    return None if current is None else str(current.version)


def champion_watermarks(settings: Settings, model: str) -> Watermarks:
    """What the current champion trained on, from its run's lineage tags (nothing: no champion yet)."""
    client = tracking.configure(settings)
    current = registry.aliased_version(client, name=registry.registered_name(model), alias=registry.CHAMPION)
    if current is None or current.run_id is None:
        return Watermarks()
    tags = client.get_run(current.run_id).data.tags
    marks = Watermarks.from_tags(tags)
    if marks.labels is None and tags.get("lineage.feedback_last_label_id") not in (None, "None"):
        # Versions registered before the watermarks were recorded saw every label up to their snapshot's.
        marks = Watermarks(labels=int(tags["lineage.feedback_last_label_id"]), interactions=None)
    return marks


def configured_retrain(settings: Settings) -> Any:
    """The retrain flow with its task runner: a Dask cluster when `dask_address` is set, threads otherwise."""
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        return retrain.with_options(task_runner=DaskTaskRunner(address=settings.dask_address))  # type: ignore[arg-type]
    return retrain
