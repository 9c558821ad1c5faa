"""Property-based API testing: schemathesis generates requests from the committed OpenAPI
document (docs/openapi.json) and sends them to the API the local cloud serves. Whatever it
sends, the API answers with a client error or a success — never a server error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from bedrock_tuner_localcloud.server import LocalCloud  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_path(str(ROOT / "docs" / "openapi.json"))


@pytest.fixture
def api(cloud: LocalCloud, needs_handlers: None) -> str:
    return cloud.api_url


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_a_server_error(case: Any, api: str, cloud: LocalCloud) -> None:
    response = case.call(base_url=api, timeout=30)
    case.validate_response(response, checks=(not_a_server_error,))
    _assert_no_denial_on_the_stacks_bucket(cloud)


def _assert_no_denial_on_the_stacks_bucket(cloud: LocalCloud) -> None:
    # Generated dataset URIs name other buckets: the API's role may not read them (as on
    # AWS), and the API answers a client error. Denials on the stack's own bucket are bugs.
    bucket = cloud.stack.arn("DataBucket")
    denied = [
        d
        for d in cloud.iam.take_denials()
        if d.resource == bucket or d.resource.startswith(bucket + "/")
    ]
    assert denied == []


@pytest.fixture
def workflow(api: str, cloud: LocalCloud) -> Any:
    """Schemathesis's state machine over the links it infers from the document (a spec put,
    then read and deleted; a run started, then read, stopped, recovered, approved …)."""
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": api, "timeout": 30}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=(not_a_server_error,))
            _assert_no_denial_on_the_stacks_bucket(cloud)

    return Workflow


def test_no_sequence_of_requests_makes_a_server_error(workflow: Any) -> None:
    workflow.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
