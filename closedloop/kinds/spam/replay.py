"""The spam filter's replay: the messages after the first champion's base period, in date order, as mail
traffic; users who report a share of what the filter decided (a share of those reports wrong); a chunk
scored by the champion's F1 and FPR; the corpus labels as the simulated annotators' truth.

`closedloop.kinds.contract.ModelKind.replay` hands a `SpamReplay` to the replay driver (`replay`), which
drives it through the shape `replay.contract.KindReplay`; this module never imports the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from closedloop.kinds.simulation import Api, ReplayPolicy, Step, Users, nothing_left
from closedloop.kinds.spam.config import FEEDBACK_VOTES, NAME
from closedloop.kinds.spam.corpus import load_spam
from closedloop.kinds.spam.feedback import message_key
from closedloop.kinds.spam.replay_report import SpamReplayReport, rates
from closedloop.kinds.spam.snapshot import split_base_period
from closedloop.serving import new_prediction_id
from closedloop.settings import Settings
from closedloop.store import FeedbackIn, PredictionRecord
from models.redaction import redact_pii
from models.spam.corpus import message_text

MAIL_USERS = 50  # the people behind the mail traffic: each report names one of them as its actor
COUNTS = ("n", "tp", "fp", "fn", "tn")


def report_of(users: Users, *, label: int) -> tuple[str, bool] | None:
    """A user's report on a message whose true label is `label`: (feedback kind, wrong?), or None."""
    if not users.responds():
        return None
    wrong = users.errs()
    said = 1 - label if wrong else label
    return next(k for k, v in FEEDBACK_VOTES.items() if v == said), wrong


def actor_of(users: Users) -> str:
    return f"replay:user-{users.pick(MAIL_USERS)}"


def decisions(champion: Any, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(P(spam), is_spam) for each text, as the API computes them."""
    proba = champion.spam_probability(texts)
    return proba, proba >= champion.threshold


def model_texts(messages: pd.DataFrame) -> list[str]:
    """The texts the API logs for messages (subject, body): the redacted model text."""
    return [
        redact_pii(message_text(s, b)) for s, b in zip(messages["subject"], messages["body"], strict=True)
    ]


@dataclass
class SpamReplay(SpamReplayReport):
    """The spam filter's replay over the corpus of `settings` (its `base_fraction` sets where it starts)."""

    settings: Settings
    metric: str = "f1"
    metrics: tuple[str, ...] = ("f1", "fpr")
    candidate: str = "baseline"  # the classical candidate: a retrain per chunk in seconds
    policies: tuple[str, ...] = ("frozen", "loop", "loop_noisy")  # spam has no fold-in at serving

    @cached_property
    def messages(self) -> pd.DataFrame:
        """Messages after the first champion's training part, oldest first (columns of the corpus frame)."""
        _base, later = split_base_period(load_spam(self.settings), self.settings)
        if later.empty:
            raise nothing_left(NAME, self.settings.base_fraction)
        return later

    def stream(self) -> list[Any]:
        """One item (a message row: subject, body, label, date, ...) per prediction request."""
        return list(self.messages.itertuples(index=False))

    def chunks(self, n: int) -> list[pd.DataFrame]:
        return [self.messages.iloc[rows] for rows in np.array_split(np.arange(len(self.messages)), n)]

    def began(self) -> datetime:
        """Just before the first streamed message: when the first champion trains."""
        first: datetime = pd.Timestamp(self.messages["date"].min()).to_pydatetime()
        return first - timedelta(seconds=1)

    def chunk_end(self, chunk: pd.DataFrame) -> datetime:
        end: datetime = pd.Timestamp(chunk["date"].max()).to_pydatetime()
        return end

    def truth(self) -> dict[str, int]:
        """Message key (of the redacted model text, as the API logs it) -> its corpus label."""
        texts = model_texts(self.messages)
        return {message_key(t): int(y) for t, y in zip(texts, self.messages["label"], strict=True)}

    def setup(self) -> dict[str, Any]:
        return {"target_fpr": self.settings.target_fpr}

    def step(self, item: Any, api: Api, users: Users) -> Step:
        """Ask the API about one message; the user may report on its answer through `/v1/feedback`."""
        answer = api.post("/v1/spam/predict", {"subject": item.subject, "body": item.body})
        if answer is None:  # a real client's message the API refuses (too long, …): counted, then skipped
            return Step(version=None)
        version, correct = str(answer["model_version"]), bool(answer["is_spam"]) == bool(item.label)
        report = report_of(users, label=int(item.label))
        if report is None:
            return Step(version, correct)
        kind, wrong = report
        body = {
            "event_id": f"replay-{answer['prediction_id']}",  # retrying the same event is safe (idempotent)
            "prediction_id": answer["prediction_id"],
            "kind": kind,
            "value": None,
            "actor": actor_of(users),
        }
        if api.post("/v1/feedback", body) is None:
            return Step(version, correct, rejected_feedback=1)
        return Step(version, correct, feedback=1, wrong_feedback=int(wrong))

    def score(self, chunk: pd.DataFrame, policy: ReplayPolicy) -> dict[str, Any]:
        """The champion's confusion counts, F1 and FPR on a chunk of messages; a logging policy then logs
        the predictions and the users' reports, stamped with each message's date."""
        texts = model_texts(chunk)
        y = chunk["label"].to_numpy().astype(bool)
        proba, flagged = decisions(policy.champion, texts)
        counts = {
            "n": len(y),
            "tp": int((flagged & y).sum()),
            "fp": int((flagged & ~y).sum()),
            "fn": int((~flagged & y).sum()),
            "tn": int((~flagged & ~y).sum()),
        }
        if policy.logs:
            dates = [pd.Timestamp(d).to_pydatetime() for d in pd.to_datetime(chunk["date"], utc=True)]
            _log(policy, texts, proba, flagged, y, dates)
        return {**counts, **rates(counts)}

    def summarize(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Whole-stream figures: every chunk's decisions pooled."""
        counts = {key: sum(row[key] for row in rows) for key in COUNTS}
        return {**counts, **rates(counts)}

    def targets(self, overall: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """What the loop is worth: F1 points over the frozen champion, and the FPR it costs."""
        gain = 100 * (overall["loop"]["f1"] - overall["frozen"]["f1"])
        noisy_gain = 100 * (overall["loop_noisy"]["f1"] - overall["frozen"]["f1"])
        return {
            "loop_minus_frozen_f1_points": round(gain, 2),
            "loop_fpr": overall["loop"]["fpr"],
            "noisy_minus_frozen_f1_points": round(noisy_gain, 2),
            "noisy_fpr": overall["loop_noisy"]["fpr"],
        }


def _log(
    policy: ReplayPolicy,
    texts: list[str],
    proba: np.ndarray,
    flagged: np.ndarray,
    y: np.ndarray,
    dates: list[datetime],
) -> None:
    users = policy.users
    assert users is not None, "a logging policy has users"
    threshold = float(policy.champion.threshold)
    records = [
        PredictionRecord(
            id=new_prediction_id(),
            model=NAME,
            model_version=str(policy.version),
            input={"text": text},
            output={"spam_probability": float(p), "is_spam": bool(f), "threshold": threshold},
            score=float(p),
            created_at=date,
        )
        for text, p, f, date in zip(texts, proba, flagged, dates, strict=True)
    ]
    policy.log(records)
    events, wrong = [], 0
    for record, label in zip(records, y, strict=True):
        report = report_of(users, label=int(label))
        if report is None:
            continue
        kind, lied = report
        events.append(
            FeedbackIn(
                event_id=f"replay-{record.id}",
                prediction_id=record.id,
                kind=kind,  # type: ignore[arg-type]
                actor=actor_of(users),
                received_at=record.created_at,
            )
        )
        wrong += int(lied)
    policy.record(events, wrong)


class SpamReplaying:
    """The replay hooks of the spam filter."""

    def replay(self, settings: Settings) -> SpamReplay:
        return SpamReplay(settings)

    def truth_label(self, subject: dict[str, Any], answers: dict[str, int]) -> int | None:
        """The corpus label of a queued message as an annotator sees it (`SpamReplay.truth` keys)."""
        # The queue shows the logged text split at its first blank line; joined back it is the key.
        return answers.get(message_key(f"{subject.get('subject', '')}\n\n{subject.get('body', '')}"))
