"""The spam filter (SpamAssassin public corpus): one model kind, registered as `spam`.

Everything closedloop knows about this model lives in this package: its config (`config.py`), retraining
(`retraining.py`), feedback and labels (`feedback.py`), labeling items (`labeling.py`), serving
(`serving.py`), monitoring (`monitoring.py`), the dashboard's live quality (`dashboard.py`) and the learning
curve (`curve.py`). The pure ML (parsing, features, models, metrics) is in `models.spam`.
"""

from __future__ import annotations

from closedloop.kinds.contract import KindConfig, ModelKind
from closedloop.kinds.spam.benchmarks import SpamBenchmarking
from closedloop.kinds.spam.config import CONFIG
from closedloop.kinds.spam.curve import SpamCurve
from closedloop.kinds.spam.dashboard import SpamDashboard
from closedloop.kinds.spam.data import SpamData
from closedloop.kinds.spam.feedback import SpamFeedback
from closedloop.kinds.spam.labeling import SpamLabeling
from closedloop.kinds.spam.monitoring import SpamMonitoring
from closedloop.kinds.spam.replay import SpamReplaying
from closedloop.kinds.spam.retraining import SpamRetraining
from closedloop.kinds.spam.serving import SpamServing


class SpamFilter(
    SpamReplaying,
    SpamBenchmarking,
    SpamRetraining,
    SpamData,
    SpamServing,
    SpamFeedback,
    SpamLabeling,
    SpamMonitoring,
    SpamDashboard,
    SpamCurve,
    ModelKind,
):
    config: KindConfig = CONFIG


KIND = SpamFilter()
