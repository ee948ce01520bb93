"""What the spam filter is, as data: names, metric, candidates, feedback, labels, floors, labeling task."""

from __future__ import annotations

from closedloop.gate import Floor
from closedloop.kinds.contract import Answer, KindConfig, LabelingTask

NAME = "spam"
FEEDBACK_VOTES = {"report_spam": 1, "not_spam": 0}  # what a user's report says the message is

CONFIG = KindConfig(
    name=NAME,
    registered_name="spam-filter",
    title="Spam filter",
    metric="f1",
    candidates=("baseline", "torch"),
    default_candidates=("baseline", "torch"),
    feedback_kinds=tuple(FEEDBACK_VOTES),
    label_values=(0, 1),
    task=LabelingTask(
        name="spam",
        answers=(Answer(1, "s", "spam"), Answer(0, "h", "ham")),
        title="Spam or ham",
        question="Spam or ham?",
    ),
    floors=(Floor("f1", at_least=0.90), Floor("fpr", at_most=0.02)),
    shadow=True,
    position=10,
    distributed_candidates=("torch",),
)
