"""The spam filter's request and response bodies: a message (as `text`, or `subject` and `body`), a batch of
messages, and the scored answers with their prediction ids."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from closedloop.serving import MAX_BATCH, RequestBody, Text


class SpamIn(RequestBody):
    """A message: either `text`, or `subject` and `body` (joined and PII-redacted exactly as in training);
    an empty or blank message is refused (422)."""

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
