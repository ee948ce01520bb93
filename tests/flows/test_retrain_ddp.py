"""The retrain flow with `train_nproc` 2: its torch candidate trains under torchrun (2 gloo processes) and the
flow carries on as usual (register, gate, promote)."""

from __future__ import annotations

import logging

import pytest

from closedloop.settings import Settings, get_settings
from flows.retrain import retrain


@pytest.mark.slow
def test_a_retrain_with_train_nproc_2_trains_its_torch_candidate_on_two_processes(
    spam_home: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv("CLOSEDLOOP_CANDIDATES", '{"spam": ["torch"]}')
    monkeypatch.setenv("CLOSEDLOOP_TRAIN_NPROC", "2")
    get_settings.cache_clear()
    with caplog.at_level(logging.INFO, logger="closedloop.distributed.launch"):
        first = retrain(model="spam", reason="test")
    assert first.promoted, first.reason
    assert first.version == "1"
    assert "torchrun: train_candidate on 2 processes" in caplog.text
