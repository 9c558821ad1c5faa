"""Shared steps for the integration tests: start a run and walk it through the workflow
the way the state machine would (each step's output stored at its ResultPath)."""

from __future__ import annotations

from typing import Any

from factories import prompt_completion
from integration.conftest import Cloud
from lambda_handlers import invoke

KEY = "datasets/support-bot/train.jsonl"
RECORDS = [prompt_completion(i) for i in range(12)]


def start_run(
    cloud: Cloud, *, spec: str | None = None, key: str = KEY, records: Any = None
) -> dict[str, Any]:
    """Upload a dataset under a spec; returns the execution input (the state ``$``)."""
    if spec is None:
        cloud.put_spec("support-bot")
    else:
        cloud.put_spec("support-bot", spec)
    uploaded = cloud.upload(key, RECORDS if records is None else records)
    result = invoke("on_dataset_uploaded", cloud.s3_event(key, uploaded))
    assert result["status"] == "started", result
    state = cloud.execution_input(result["executionArn"])
    state["settings"] = {"slotHolder": f"support-bot-{state['runId']}"}  # like the ASL's Pass
    return state


def validated(cloud: Cloud, **kw: Any) -> dict[str, Any]:
    state = start_run(cloud, **kw)
    state["validation"] = invoke("validate_dataset", state)
    return state


def started_job(cloud: Cloud, **kw: Any) -> dict[str, Any]:
    state = validated(cloud, **kw)
    assert state["validation"]["valid"], state["validation"]
    state["job"] = invoke("start_customization_job", state)
    return state


def tracked(cloud: Cloud, token: str = "token-1", **kw: Any) -> dict[str, Any]:
    state = started_job(cloud, **kw)
    invoke(
        "track_job",
        {
            "token": token,
            "runId": state["runId"],
            "jobArn": state["job"]["jobArn"],
            "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:X:{state['settings']['slotHolder']}",
        },
    )
    return state


def bedrock_event(
    state: dict[str, Any], status: str, *, event_id: str, time: str, **detail: Any
) -> dict[str, Any]:
    """A Bedrock state-change event for the run's job (the sample's shape)."""
    from events import load_event

    event = load_event("bedrock_job_completed")
    event["id"] = event_id
    event["time"] = time
    event["resources"] = [state["job"]["jobArn"]]
    event["detail"].update(
        jobArn=state["job"]["jobArn"],
        jobName=state["job"]["jobName"],
        jobStatus=status,
        lastModifiedTime=time.replace("Z", ".000Z"),
        **detail,
    )
    if status != "Completed":
        event["detail"].pop("outputModelArn", None)
    return event


def completed_job_result(cloud: Cloud, job_name: str) -> dict[str, Any]:
    """The track step's ``jobResult`` for a job Bedrock reports Completed."""
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=job_name)
    return {
        "status": "Completed",
        "failureMessage": None,
        "outputModelArn": described["outputModelArn"],
        "trainingLoss": None,
        "validationLoss": None,
    }
