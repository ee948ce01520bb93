"""The spam filter's request and response bodies: a message (as `text`, or `subject` and `body`), a batch of
messages, and the scored answers with their prediction ids."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from closedloop.serving import MAX_BATCH, RequestBody, Text

NOT_BLANK = {"type": "string", "pattern": r"\S"}  # a string with something besides whitespace
# The two forms, as JSON Schema (what `_one_form` checks), so that the OpenAPI document refuses what the API
# refuses: `text` that is not blank, or (no `text` and) a `subject` or `body` that is not blank.
ONE_FORM: dict[str, Any] = {
    "anyOf": [
        {
            "required": ["text"],
            "properties": {"text": NOT_BLANK, "subject": {"type": "null"}, "body": {"type": "null"}},
        },
        {
            "properties": {"text": {"type": "null"}},
            "anyOf": [
                {"required": ["subject"], "properties": {"subject": NOT_BLANK}},
                {"required": ["body"], "properties": {"body": NOT_BLANK}},
            ],
        },
    ]
}


class SpamIn(RequestBody):
    """A message: either `text`, or `subject` and `body` (joined and PII-redacted exactly as in training);
    an empty or blank message is refused (422)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=ONE_FORM)
    text: Text | None = None
    subject: Text | None = None
    body: Text | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SpamIn:
        parts = self.subject is not None or self.body is not None
        if (self.text is None) == (not parts):
            raise ValueError("give either `text`, or `subject` and `body` (not both forms, not neither)")
        # A blank message carries nothing to judge: a score for it would be a guess logged as a prediction.
        if not any(part and not part.isspace() for part in (self.text, self.subject, self.body)):
            raise ValueError("the message is empty: `text` (or `subject` and `body`) must not be blank")
        return self


class SpamBatchIn(RequestBody):
    items: list[SpamIn] = Field(min_length=1, max_length=MAX_BATCH)


class SpamOut(BaseModel):
    prediction_id: str
    spam_probability: float
    is_spam: bool
    threshold: float
    model_version: str


class SpamBatchOut(BaseModel):
    predictions: list[SpamOut]
    model_version: str
