"""Monitoring: the champion's training data (reference) against its logged traffic (current window) —
descriptor and score drift with Evidently, live quality from feedback, reports for the dashboard. What the
frames hold and how quality is measured is each kind's (`ModelKind.monitor`); the pass itself is generic.

`closedloop.monitoring.assessment.assess` runs one pass; it is not re-exported here because it imports
Evidently (seconds), and the CLI's start-up only needs the paths.
"""

from closedloop.monitoring.errors import EmptyWindow, MonitoringError, NoChampion, NotMonitored
from closedloop.monitoring.paths import reports_dir, workspace_dir

__all__ = ["EmptyWindow", "MonitoringError", "NoChampion", "NotMonitored", "reports_dir", "workspace_dir"]
