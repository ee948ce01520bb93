"""Why monitoring had nothing to compare; each message says what to do next."""

from __future__ import annotations


class MonitoringError(Exception):
    """Monitoring cannot run for this model now; the message says what to do about it."""


class NoChampion(MonitoringError):
    """No champion, hence no training snapshot to take the reference window from."""


class EmptyWindow(MonitoringError):
    """No logged predictions in the current window."""


class NotMonitored(MonitoringError):
    """The model's kind describes no traffic for drift monitoring (its `monitor` hook hands nothing back)."""
