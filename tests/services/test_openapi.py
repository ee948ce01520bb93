"""Property-based tests from the app's own OpenAPI schema: whatever schemathesis sends, valid or not, every
answer passes all of its checks (no 5xx; each status, content type, header and body as documented; valid data
accepted, invalid data refused), with the data-dependent 422s that `schemathesis.toml` names."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from closedloop.settings import Settings
from services.api import create_app
from tests.factories import CLIENT_KEY

AUTH = {"X-API-Key": CLIENT_KEY}  # the model home's trusted client key: write routes need a key


@pytest.fixture(scope="module")
def api_schema(model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    import shutil

    home = tmp_path_factory.mktemp("openapi") / "home"
    shutil.copytree(model_home, home)
    app = create_app(Settings(home=home, reload_seconds=3600))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    readyz = schema["/readyz"]["GET"]
    deadline = time.monotonic() + 60
    while readyz.Case().call().status_code != 200:  # schemathesis runs the lifespan; wait for the models
        assert time.monotonic() < deadline, "the API never became ready"
        time.sleep(0.1)
    return schema


# Hypothesis warns when the global `random` state moves while it draws an example; with the app running
# in-process, its background threads (model loading, shadow scoring, logging) may run during a draw.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_matches_the_document(api_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    # schemathesis' lazy-fixture integration breaks on pytest 9 (`Function._nodeid`), so each operation's
    # hypothesis strategy is driven here instead; the cases and the check are the same.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    assert {"/v1/feedback", "/v1/interactions", "/v1/interactions:batch"} <= {op.path for op in operations}
    calls: list[int] = []
    if mode == GenerationMode.NEGATIVE:  # only a body can be made invalid: the other operations take none
        operations = [op for op in operations if op.body]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            calls.append(case.call_and_validate(headers=AUTH).status_code)  # every check schemathesis has

        conforms()
    assert len(calls) > 40
    assert (200 in calls) if mode == GenerationMode.POSITIVE else (422 in calls)


def test_refusals_are_documented(api_schema: schemathesis.BaseSchema) -> None:
    """A 422 body has the declared shape, `"1"` and `true` are not ids, and the 400 for a body that is not
    UTF-8 is in the document."""
    operation = api_schema["/v1/recommendations"]["POST"]
    for user_id in ("1", True):
        case = operation.Case(body={"user_id": user_id})
        response = case.call(headers=AUTH)
        assert response.status_code == 422
        case.validate_response(response)  # status, content type and body as documented
    spam = api_schema["/v1/spam/predict"]["POST"]
    case = spam.Case(body={"text": "x"})
    undecodable = case.call(data=b"\xff\xfe{", headers={**AUTH, "Content-Type": "application/json"})
    assert undecodable.status_code in (400, 422)
    case.validate_response(undecodable)
    assert "400" in spam.definition.raw["responses"]
