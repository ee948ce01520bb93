"""What annotators are asked about a kind's items: the labeling task (its answers, their keys and captions,
which consensus label each becomes) and how an item's subject is shown.

All of it is data the labeling kernel and the labeling UI read without knowing the kind: the UI draws one
button per `Answer` (its key on the keyboard), names labels by their captions, and places a `Shown` as plain
text (never as markup).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The labeling UI's own keys (undo, skip): no answer may take them.
RESERVED_KEYS = ("u", " ")


@dataclass(frozen=True)
class Answer:
    """One answer an annotator may give to an item of a task: the stored value, its key and caption."""

    value: int
    key: str  # the keyboard key in the labeling UI (case does not matter)
    caption: str


@dataclass(frozen=True)
class LabelingTask:
    """A labeling task: its name (the queue's `task`), the answers, and which consensus label an answer
    becomes (`consensus`: answer value -> stored label; identity when not given).

    For people: `title` names the task in listings (default: its name), `question` heads each item (default:
    the title), and `predictions` says how the model's label on an item reads (`QueueItem.model_label` ->
    words; default: the caption of the answer with that value).
    """

    name: str
    answers: tuple[Answer, ...]
    consensus: dict[int, int] = field(default_factory=dict)
    title: str = ""
    question: str = ""
    predictions: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        keys = [answer.key.lower() for answer in self.answers]
        if not self.answers:
            raise ValueError(f"task {self.name!r} has no answers")
        if len(set(self.values)) != len(self.values) or len(set(keys)) != len(keys):
            raise ValueError(f"task {self.name!r}: two answers share a value or a key")
        if taken := set(keys) & set(RESERVED_KEYS):
            raise ValueError(f"task {self.name!r}: keys {sorted(taken)} are the labeling UI's undo and skip")
        # frozen: defaults that derive from other fields are set once, here
        object.__setattr__(self, "title", self.title or self.name)
        object.__setattr__(self, "question", self.question or self.title)

    def stored(self, answer: int) -> int:
        return self.consensus.get(answer, answer)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(a.value for a in self.answers)

    def caption(self, value: int) -> str:
        """How people say an answer (its caption; the bare value for one the task does not know)."""
        return next((a.caption for a in self.answers if a.value == value), str(value))

    def prediction(self, label: int) -> str:
        """How the model's label on an item reads."""
        return self.predictions.get(label) or self.caption(label)

    def choices(self) -> str:
        """The answers in words, for error messages: "0 (ham) or 1 (spam)"."""
        named = [f"{a.value} ({a.caption})" for a in sorted(self.answers, key=lambda a: a.value)]
        return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"


@dataclass(frozen=True)
class Shown:
    """An item's subject as the labeling UI shows it, all plain text placed without interpretation.

    `lead` and `trail` surround the emphasised `title` (what is judged) in one sentence; `fields` are
    (caption, value) lines; `body` is a long text shown verbatim; `history` is a list under
    `history_caption` (`history_empty` stands in for an empty list). Empty parts are left out.
    """

    title: str = ""
    lead: str = ""
    trail: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    history_caption: str = ""
    history: tuple[str, ...] = ()
    history_empty: str = ""


def shown_as_fields(subject: dict[str, Any]) -> Shown:
    """The plainest view of a subject: its `title` emphasised, its `history` rows by their titles, and every
    other scalar as a field captioned by its key (what a kind shows unless it says otherwise)."""
    history = subject.get("history")
    rows = history if isinstance(history, list) else []
    return Shown(
        title=_text(subject.get("title")),
        fields=tuple(
            (key, _text(value))
            for key, value in subject.items()
            if key not in ("title", "history") and isinstance(value, str | int | float)
        ),
        history=tuple(_text(row.get("title") if isinstance(row, dict) else row) for row in rows),
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)
