"""The candidates of one retrain: each trained on its own, a failure recorded as a FAILED MLflow run tagged
with its error and skipped, so that one candidate that cannot be trained (a flood of one-sided labels, a bug)
never stops the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from closedloop import registry
from closedloop.kinds import kind
from closedloop.registry import tracking
from closedloop.retraining import pipeline
from closedloop.retraining.candidate import Candidate
from closedloop.retraining.lineage import code_version
from closedloop.retraining.pipeline import Watermarks
from closedloop.settings import Settings


def transient(task: Any, task_run: Any, state: Any) -> bool:
    """A task's retry condition: retry only what another attempt can fix (an unreachable tracking server),
    not a bad model."""
    try:
        state.result()
    except (MlflowException, ConnectionError, TimeoutError) as exc:
        return not isinstance(exc, MlflowException) or exc.error_code in {
            "TEMPORARILY_UNAVAILABLE",
            "INTERNAL_ERROR",
        }
    except Exception:
        return False
    return False


@dataclass(frozen=True)
class CandidateFailure:
    """A candidate that could not be trained: named in the run, skipped by the gate."""

    name: str
    error: str


def lineage_tags(data: Any, reason: str) -> dict[str, str]:
    """What every run of one retrain records about the snapshot it trained on."""
    return {
        **Watermarks.of(data).as_tags(),
        "lineage.newest_event_at": str(data.lineage["reads"]["newest_event_at"]),
        "lineage.interactions_last_id": str(data.lineage.get("interactions_watermark", {}).get("last_id")),
        "lineage.code_version": code_version(),
        "lineage.train_sha256": data.lineage["train_sha256"],
        "lineage.holdout_sha256": data.lineage["holdout_sha256"],
        "lineage.feedback_last_label_id": str(data.lineage["feedback_watermark"]["last_label_id"]),
        "lineage.feedback_last_label_at": str(data.lineage["feedback_watermark"]["last_label_at"]),
        "lineage.corpus_sha256": str(data.lineage["corpus_manifest"].get("files")),
        "trigger": reason,
    }


@task(name="train-candidate", cache_policy=NO_CACHE)
def train_candidate(model: str, name: str, data: Any, settings: Settings) -> Candidate | CandidateFailure:
    """One candidate; a failure is recorded and skipped (the other candidates still compete)."""
    try:
        return pipeline.train(kind(model), data, settings, name)
    except Exception as error:  # one broken candidate must not stop the retrain
        get_run_logger().exception("candidate %s failed", name)
        return CandidateFailure(name=name, error=f"{type(error).__name__}: {error}")


@task(
    name="record-failed-candidates",
    retries=3,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
    cache_policy=NO_CACHE,
)
def record_failures(
    model: str, failures: list[CandidateFailure], data: Any, settings: Settings, reason: str
) -> dict[str, str]:
    """One FAILED MLflow run per candidate that could not be trained, tagged `candidate.status=failed` and
    `candidate.error`, with the snapshot's lineage. Returns {candidate: run_id}."""
    client = tracking.configure(settings)
    name = registry.registered_name(model)
    runs: dict[str, str] = {}
    for failure in failures:
        tags = {**lineage_tags(data, reason), "candidate.status": "failed", "candidate.error": failure.error}
        with tracking.training_run(
            settings, experiment=name, run_name=f"{model}-{failure.name}", tags=tags
        ) as run:
            mlflow.log_param("model", failure.name)
            runs[failure.name] = run.info.run_id
        client.set_terminated(runs[failure.name], status="FAILED")
    return runs
