"""infra/prefect/prefect.yaml (the work-pool deployments) declares the deployments `closedloop worker` serves:
same names, flows, parameters, schedules, triggers and concurrency limits; tests/flows/test_work_pool.py
deploys it for real. infra/prefect/automations.yaml loads as Prefect automations."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow
from prefect.events.schemas.automations import AutomationCore

from closedloop.orchestration import triggers
from closedloop.settings import Settings
from flows.schedules import deployments

ROOT = Path(__file__).resolve().parents[2]


def test_work_pool_example_matches_the_served_deployments(tmp_path: Path):
    declared = {
        d["name"]: d for d in yaml.safe_load((ROOT / "infra/prefect/prefect.yaml").read_text())["deployments"]
    }
    served = {d.name: d for d in deployments(Settings(home=tmp_path))}
    assert set(declared) == set(served)
    for name, spec in declared.items():
        path, function = spec["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), function)
        assert isinstance(flow, Flow) and flow.name == served[name].flow_name, name
        assert spec.get("parameters", {}) == served[name].parameters, name
        assert spec["work_pool"]["name"] == "closedloop"
        limit = served[name].concurrency_limit
        if limit is None:
            assert "concurrency_limit" not in spec, name
        else:
            assert spec["concurrency_limit"]["limit"] == limit, name
            strategy = served[name].concurrency_options.collision_strategy.value
            assert spec["concurrency_limit"]["collision_strategy"] == strategy, name
        for trigger, expected in zip(spec.get("triggers", []), served[name].triggers, strict=True):
            assert set(trigger["expect"]) == set(triggers.RETRAIN_EVENTS) == set(expected.expect)
            assert trigger["match"] == expected.match.model_dump(), name
            assert trigger["parameters"] == expected.parameters, name
        schedule = spec["schedules"][0]
        if "cron" in schedule:
            assert schedule["cron"] == Settings().retrain_cron
        else:
            interval = served[name].schedules[0].schedule.interval.total_seconds()
            assert schedule["interval"] == interval, name


def test_automations_file_loads_as_prefect_automations():
    spec = yaml.safe_load((ROOT / "infra/prefect/automations.yaml").read_text())["automations"]
    loaded = [AutomationCore.model_validate(item) for item in spec]
    assert {a.name for a in loaded} == {"crash-unresponsive-flow-runs", "retry-crashed-retrains"}
