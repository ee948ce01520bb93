"""What every request body shares, whichever kind it is for: no unknown fields, and strings that are valid
Unicode without NUL (PostgreSQL cannot store U+0000 in JSON or text, and no real input needs it, so it is
rejected with a 422 rather than silently stripped)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

MAX_BATCH = 1_000  # items of one batch route; larger batches are split by the client
# Ids in request bodies: integers a JSON client holds exactly (I-JSON, RFC 7493: at most 2**53 - 1). The store
# takes 64-bit ids, but an id beyond this reaches a JavaScript client, or a validator comparing it as a
# double, as a different number.
MAX_JSON_ID = 2**53 - 1


def check_text(value: str) -> str:
    """`value` unchanged, or a `ValueError` (a 422 at the edge) for a NUL or a lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (it contains a lone surrogate)") from None
    return value


NO_NUL = "^[^\\x00]*$"  # in the JSON schema, so that the OpenAPI document says what `check_text` refuses
Text = Annotated[str, AfterValidator(check_text), Field(json_schema_extra={"pattern": NO_NUL})]


def check_json_integer(value: Any) -> Any:
    """`value` unchanged if it is a JSON integer as JSON Schema has it (`3`, or `3.0`), else a `ValueError`:
    `"3"` or `true` for a number is a client's bug, not the number 3 or 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON integer, not a string or a boolean")
    return value


JsonInt = Annotated[int, BeforeValidator(check_json_integer)]  # then int's own check: 3.5 is refused


class RequestBody(BaseModel):
    """A request body: an unknown field is a 422 naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")
