"""infra/prefect/prefect.yaml (the work-pool example) declares the deployments `closedloop worker` serves:
same names, flows, parameters, schedules and triggers. No work pool runs here; this keeps the two in step."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow

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
        assert spec["work_pool"]["name"] == "k8s"
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
