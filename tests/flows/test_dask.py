"""Candidate fan-out on a Dask cluster: CLOSEDLOOP_DASK_ADDRESS switches the flow's task runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from distributed import LocalCluster

from closedloop.settings import Settings, get_settings
from flows.retrain import configured_retrain


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    # An in-process cluster: the real scheduler and worker, without forking on a 2-core machine.
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as local:
        yield local


def test_candidates_train_on_the_dask_cluster(
    spam_home: Settings, cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CLOSEDLOOP_DASK_ADDRESS", cluster.scheduler_address)
    get_settings.cache_clear()
    settings = get_settings()
    flow = configured_retrain(settings)
    assert type(flow.task_runner).__name__ == "DaskTaskRunner"

    result = flow(model="spam", reason="test")

    assert result.promoted, result.reason
    ran_on_dask = {key.split("-")[0] for key in cluster.scheduler.task_prefixes}
    assert any("train" in prefix for prefix in ran_on_dask), ran_on_dask
