"""Every sample event under events/ parses with the parser model of the function it feeds."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel
from pydantic import BaseModel

from bedrock_tuner.errors import InvalidEventError
from bedrock_tuner.models.payloads import (
    ApprovalRequest,
    ExecutionState,
    NotifyRequest,
    TrackJobRequest,
)
from bedrock_tuner.pipeline.events import (
    BedrockJobStateChangeEvent,
    S3ObjectCreatedEvent,
    ScheduledEvent,
    SnsEvent,
    parse_event,
)
from events import event_names, load_event

MODELS: list[tuple[str, type[BaseModel]]] = [
    ("s3_object_created", S3ObjectCreatedEvent),
    ("bedrock_job_", BedrockJobStateChangeEvent),
    ("schedule_", ScheduledEvent),
    ("sns_", SnsEvent),
    ("sfn_validate_dataset", ExecutionState),
    ("sfn_start_customization_job", ExecutionState),
    ("sfn_stop_customization_job", ExecutionState),
    ("sfn_register_model_version", ExecutionState),
    ("sfn_request_approval", ApprovalRequest),
    ("sfn_track_job", TrackJobRequest),
    ("sfn_notify_", NotifyRequest),
    ("api_", APIGatewayProxyEventModel),
]


def model_for(name: str) -> type[BaseModel]:
    for prefix, model in MODELS:
        if name.startswith(prefix):
            return model
    raise AssertionError(f"no parser model for events/{name}.json: add one to MODELS")


@pytest.mark.parametrize("name", event_names())
def test_every_sample_event_parses(name: str) -> None:
    parsed = parse_event(load_event(name), model_for(name))
    assert parsed is not None


def test_there_is_a_sample_for_every_function_input() -> None:
    names = event_names()
    for prefix, _ in MODELS:
        assert any(name.startswith(prefix) for name in names), prefix


def test_a_bad_event_is_a_coded_error_naming_the_field() -> None:
    event = load_event("bedrock_job_completed")
    del event["detail"]["jobArn"]
    with pytest.raises(InvalidEventError) as caught:
        parse_event(event, BedrockJobStateChangeEvent)
    assert "detail.jobArn" in str(caught.value)
    assert caught.value.code == "BT_BAD_EVENT"


def test_an_s3_event_is_not_a_bedrock_event() -> None:
    with pytest.raises(InvalidEventError):
        parse_event(load_event("s3_object_created"), BedrockJobStateChangeEvent)
    with pytest.raises(InvalidEventError):
        parse_event(["not", "a", "dict"], ExecutionState)
