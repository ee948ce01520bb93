"""The movie recommender (MovieLens 100K): one model kind, registered as `recsys`.

Everything closedloop knows about this model lives in this package: its config (`config.py`), retraining
(`retraining.py`), feedback and labels (`feedback.py`), labeling items (`labeling.py`), serving
(`serving.py`), monitoring (`monitoring.py`, with the reactions to its lists in `reactions.py`), the
dashboard's live quality (`dashboard.py`) and the learning curve (`curve.py`). The pure ML (EASE, Mult-DAE,
metrics, fold-in) is in `models.recsys`.
"""

from __future__ import annotations

from closedloop.kinds.contract import KindConfig, ModelKind
from closedloop.kinds.recsys.benchmarks import RecsysBenchmarking
from closedloop.kinds.recsys.config import CONFIG
from closedloop.kinds.recsys.curve import RecsysCurve
from closedloop.kinds.recsys.dashboard import RecsysDashboard
from closedloop.kinds.recsys.data import RecsysData
from closedloop.kinds.recsys.feedback import RecsysFeedback
from closedloop.kinds.recsys.labeling import RecsysLabeling
from closedloop.kinds.recsys.monitoring import RecsysMonitoring
from closedloop.kinds.recsys.replay import RecsysReplaying
from closedloop.kinds.recsys.retraining import RecsysRetraining
from closedloop.kinds.recsys.serving import RecsysServing


class Recommender(
    RecsysReplaying,
    RecsysBenchmarking,
    RecsysRetraining,
    RecsysData,
    RecsysServing,
    RecsysFeedback,
    RecsysLabeling,
    RecsysMonitoring,
    RecsysDashboard,
    RecsysCurve,
    ModelKind,
):
    config: KindConfig = CONFIG


KIND = Recommender()
