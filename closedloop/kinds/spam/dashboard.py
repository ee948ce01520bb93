"""The spam filter on the dashboard: live quality as confusion counts per time bucket, each prediction
judged by the latest report on it (report_spam: spam, not_spam: ham) against the served decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from closedloop.kinds.quality import LiveQuality, time_buckets
from closedloop.kinds.spam.config import FEEDBACK_VOTES, NAME
from closedloop.monitoring.figures import confusion_family
from closedloop.store import read_answers

REPORTS = " / ".join(f"{kind} ({label})" for kind, label in FEEDBACK_VOTES.items())
FAMILY = confusion_family(answered="labeled by feedback", note=f"Labels: latest {REPORTS} per prediction.")


class SpamDashboard:
    """Dashboard hook: (tp, fp, fn, tn) per bucket over the predictions that got a report."""

    def live_quality(
        self, session: Session, *, since: datetime, width: int, served: Mapping[int, int]
    ) -> LiveQuality:
        answers = read_answers(session, model=NAME, since=since)
        # Only predictions with a report are read (bounded by the feedback), and each by its latest report.
        latest = answers[answers["source"] == "feedback"].drop_duplicates("prediction_id", keep="last")
        label = latest["kind"].map(FEEDBACK_VOTES)
        latest = latest[label.notna()]
        spam = label[label.notna()].astype(bool)
        said = pd.Series([bool(output["is_spam"]) for output in latest["output"]], index=latest.index)
        frame = pd.DataFrame(
            {
                "bucket": time_buckets(latest["served_at"], width),
                "tp": spam & said,
                "fp": ~spam & said,
                "fn": spam & ~said,
                "tn": ~spam & ~said,
            }
        )
        per_bucket = frame.groupby("bucket")[list(FAMILY.counts)].sum()
        buckets = {int(b): tuple(float(n) for n in row) for b, row in per_bucket.iterrows()}
        return LiveQuality(family=FAMILY, buckets=buckets, answered=len(frame))
