"""Re-judging the standing challenger on the live traffic it shadow-scored.

A challenger the gate refused for want of evidence stays the `challenger` alias, and for a kind whose
challenger shadow-scores (the spam filter), the API keeps shadow-scoring a share of traffic with it
(`CLOSEDLOOP_SHADOW_SHARE`); the kind hands over the labelled part (`ModelKind.labelled_shadow`). Once
`gate_min_window` of those messages have been labelled, that paired evidence — both models' decisions as
they were served — joins the window of labels neither model trained on, and the gate judges the challenger
again. The label watcher runs this; a challenger is judged again only when its shadow evidence has grown
by another `gate_min_window` messages, so the same evidence is never tested twice.
"""

from __future__ import annotations

import json
from typing import Any

from prefect import flow, get_run_logger

from closedloop import registry
from closedloop.kinds import kind
from closedloop.registry import tracking
from closedloop.registry.decisions import decision_tags
from closedloop.registry.packaging import load_wrapper
from closedloop.retraining import pipeline
from closedloop.retraining.candidate import Candidate
from closedloop.retraining.pipeline import Watermarks
from closedloop.settings import get_settings
from closedloop.store import open_store
from flows.retrain import champion_watermarks

SHADOW_TAG = "gate.shadow_n"


@flow(name="regate-challenger")
def regate_challenger(model: str) -> dict[str, Any]:
    """Judge the standing challenger again once enough of its shadow-scored traffic is labelled."""
    settings = get_settings()
    client = tracking.configure(settings)
    name = registry.registered_name(model)
    champion = registry.aliased_version(client, name=name, alias=registry.CHAMPION)
    challenger = registry.aliased_version(client, name=name, alias=registry.CHALLENGER)
    if champion is None or challenger is None or champion.version == challenger.version:
        return {"status": "no standing challenger"}
    tags = dict(challenger.tags or {})
    store = open_store(settings.store_url)
    try:
        shadow = kind(model).labelled_shadow(
            store, champion_version=str(champion.version), challenger_version=str(challenger.version)
        )
        judged_on = int(tags.get(SHADOW_TAG, "0"))
        if len(shadow) < judged_on + settings.gate_min_window:
            return {"status": "waiting for labelled shadow traffic", "shadow": len(shadow)}
        return _judge_again(model, name, str(challenger.version), str(champion.version), shadow, store)
    finally:
        store.close()


def _judge_again(
    model: str, name: str, version: str, champion_version: str, shadow: Any, store: Any
) -> dict[str, Any]:
    settings = get_settings()
    client = tracking.configure(settings)
    run_id = client.get_model_version(name, version).run_id
    mine = Watermarks.from_tags(client.get_run(run_id).data.tags) if run_id else Watermarks()
    theirs = champion_watermarks(settings, model)
    newest = [m for m in (mine.labels, theirs.labels) if m is not None]
    # Every label newer than both models is evidence: nothing is trained here, so all of it is the window.
    trained_on = Watermarks(labels=max(newest) if newest else None)
    found = kind(model)
    data = pipeline.snapshot(found, settings, store, trained_on, window_share=1.0)
    wrapper = load_wrapper(f"models:/{name}/{version}")
    standing = Candidate(
        task=model,
        name=f"v{version}",
        estimator=wrapper.estimator,
        threshold=wrapper.threshold,
        selection_score=float("nan"),
        holdout_metrics={},
    )
    champion = load_wrapper(f"models:/{name}@{registry.CHAMPION}")
    decision = pipeline.judge(found, standing, champion, data, settings, shadow=shadow)
    tags = decision_tags(decision, champion_version=champion_version)
    tags[SHADOW_TAG] = str(len(shadow))
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    if run_id:
        client.log_text(run_id, json.dumps(decision.evidence, indent=2, default=str), "gate/regate.json")
    get_run_logger().info(
        "re-judged %s v%s on %d shadow messages: %s", name, version, len(shadow), decision.reason
    )
    if decision.promote:
        registry.promote(
            client,
            store,
            name=name,
            version=version,
            actor="prefect:regate-challenger",
            reason=decision.reason,
            evidence=decision.evidence,
        )
    return {
        "status": "judged",
        "promoted": decision.promote,
        "reason": decision.reason,
        "shadow": len(shadow),
    }
