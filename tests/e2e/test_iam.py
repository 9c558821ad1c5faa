"""IAM on the local cloud: every call a function makes is checked against its own role in
template.yaml, and the Bedrock simulator checks the job's service role. A permission is real
only when a test proves it is needed: each test below removes one statement from a copy of
the template (the deployed resources stay) and shows the pipeline fail as it would on AWS.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_tuner_localcloud.server import LocalCloud
from bedrock_tuner_localcloud.template import load_yaml

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
MODEL = "amazon.nova-2-lite-v1:0:256k"
OTHER_GRADER = "arn:aws:lambda:us-east-1:123456789012:function:not-allowed-grader"


@pytest.fixture
def grader(cloud: LocalCloud) -> str:
    """The RFT grader the e2e stack allows (its RftGraderFunctionArns, conftest.py)."""
    allowed = cloud.stack.parameters["RftGraderFunctionArns"]
    assert allowed and "," not in allowed
    return allowed


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "base_model": MODEL,
        "customization_type": "FINE_TUNING",
        "budget": {"auto_approve_usd": 25, "max_usd": 500},
        "tags": {"team": "e2e"},
    }
    base.update(overrides)
    return base


def rft_spec(grader: str) -> dict[str, Any]:
    return spec(customization_type="RFT", rft={"grader_lambda_arn": grader})


def rft_records(n: int = 12) -> list[dict[str, Any]]:
    return [
        {
            "id": f"sample-{i}",
            "messages": [
                {"role": "system", "content": "Solve the problem and give the final number."},
                {"role": "user", "content": f"What is {i} + {i + 1}?"},
            ],
            "reference_answer": {"value": 2 * i + 1},
        }
        for i in range(n)
    ]


def without_statement(logical_id: str, sid: str, folder: Path) -> Path:
    """A copy of template.yaml without the statement ``sid`` of ``logical_id``'s policy."""
    template = load_yaml(TEMPLATE)
    props = template["Resources"][logical_id]["Properties"]
    documents = (
        [props["PolicyDocument"]]
        if "PolicyDocument" in props
        else [p for p in props.get("Policies", []) if isinstance(p, dict) and "Statement" in p]
    )
    removed = 0
    for document in documents:
        kept = []
        for statement in document["Statement"]:
            branches = statement.get("Fn::If", [None, statement])[1:]
            if any(isinstance(b, dict) and b.get("Sid") == sid for b in branches):
                removed += 1
            else:
                kept.append(statement)
        document["Statement"] = kept
    assert removed == 1, f"{logical_id} has no statement {sid}"
    path = folder / "template.json"
    path.write_text(json.dumps(template))
    return path


def run(
    cloud: LocalCloud,
    upload: Any,
    wait_for_execution: Callable[..., dict[str, Any]],
    notifications: Callable[..., list[Any]],
) -> dict[str, Any]:
    """The run of ``upload`` to its end (approving it if it asks)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        asks = notifications("approval_needed")
        if asks:
            run_id = asks[0].body["run_id"]
            request = urllib.request.Request(
                f"{cloud.api_url}/approvals/{run_id}",
                data=json.dumps({"decision": "approve", "reason": "e2e"}).encode(),
                method="POST",
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            break
        try:
            return wait_for_execution(upload, timeout=0.5)
        except TimeoutError:
            continue
    return wait_for_execution(upload, timeout=60)


def failure_cause(cloud: LocalCloud, execution_arn: str) -> str:
    events = []
    sfn = cloud.client("stepfunctions")
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events += page["events"]
    return json.dumps(
        [e["taskFailedEventDetails"] for e in events if "taskFailedEventDetails" in e]
    )


# ----------------------------------------------------------------------------- functions' roles
@pytest.mark.parametrize(
    ("function", "sid", "action", "resource_part"),
    [
        # copy_version reads the pinned copy's version id back (HeadObject): added by this
        # branch, the happy path failed without it.
        ("ValidateDatasetFunction", "ReadBackThePinnedCopies", "s3:GetObject", "/work/support/"),
        (
            "StartCustomizationJobFunction",
            "CreateJobFromFoundationModels",
            "bedrock:CreateModelCustomizationJob",
            "foundation-model/amazon.nova-2-lite-v1:0:256k",
        ),
        (
            "StartCustomizationJobFunction",
            "PassTheBedrockRoleToBedrockOnly",
            "iam:PassRole",
            ":role/bedrock-tuner-BedrockCustomizationRole-",
        ),
    ],
)
def test_without_the_permission_the_pipeline_fails_with_access_denied(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    tmp_path: Path,
    function: str,
    sid: str,
    action: str,
    resource_part: str,
) -> None:
    # Given the stack's roles as a copy of template.yaml without one statement
    with cloud.iam_policies_from(without_statement(function, sid, tmp_path)):
        # When a dataset arrives
        upload = upload_dataset("support", GOOD, spec=spec())
        result = run(cloud, upload, wait_for_execution, notifications)
        denied = cloud.iam.take_denials()
    # Then the run fails, and what failed is the call the statement allowed, denied as AWS
    # denies it (the error the function's code saw)
    assert result["status"] == "FAILED", result
    assert denied, "no call was denied"
    first = denied[0]
    assert (first.function, first.action) == (function, action)
    assert resource_part in first.resource
    assert f"is not authorized to perform: {action} on resource:" in first.message
    assert "because no identity-based policy allows" in first.message
    assert cloud.bedrock.jobs() == [] or action == "s3:GetObject"


def test_the_failure_names_the_denied_action(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    tmp_path: Path,
) -> None:
    template = without_statement(
        "StartCustomizationJobFunction", "CreateJobFromFoundationModels", tmp_path
    )
    with cloud.iam_policies_from(template):
        upload = upload_dataset("support", GOOD, spec=spec())
        result = run(cloud, upload, wait_for_execution, notifications)
        cloud.iam.take_denials()
    assert result["status"] == "FAILED"
    cause = failure_cause(cloud, result["executionArn"])
    assert "AccessDeniedException" in cause, cause
    assert "bedrock:CreateModelCustomizationJob" in cause, cause


# ----------------------------------------------------------------------------- the service role
def test_a_dataset_the_service_role_cannot_read_fails_the_job_with_bedrocks_message(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    tmp_path: Path,
) -> None:
    # Given Bedrock's role without s3:GetObject on the training data
    template = without_statement("BedrockCustomizationRolePolicy", "ReadTrainingData", tmp_path)
    # Stages five times slower: a job that fails within ~0.1 s of its creation can end before
    # the workflow stores its wait token, and the run then waits for the reconciler (a race
    # of the job wait, not of IAM).
    cloud.bedrock.set_speed(5)
    with cloud.iam_policies_from(template):
        upload = upload_dataset("support", GOOD, spec=spec())
        result = run(cloud, upload, wait_for_execution, notifications)
    # Then the job is created, fails its validation stage with Bedrock's message, and the run
    # fails telling people why
    assert result["status"] == "FAILED", result
    (job,) = cloud.bedrock.jobs()
    assert job.status == "Failed"
    assert job.stages["validation"]["status"] == "Failed"
    bucket = cloud.stack.physical_id("DataBucket")
    run_id = result["input"]["runId"]
    expected = (
        f"Could not validate GetObject permissions to access Amazon S3 bucket: {bucket} "
        f"at key work/support/{run_id}/train.jsonl"
    )
    assert job.failure_message == expected
    assert any(expected in n.message for n in notifications("job_failed")), notifications()


def test_an_rft_run_with_the_stacks_grader_trains(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    grader: str,
) -> None:
    # Given a reinforcement fine-tuning pipeline naming the grader the stack allows
    upload = upload_dataset("math", rft_records(), spec=rft_spec(grader))
    result = run(cloud, upload, wait_for_execution, notifications)
    # Then Bedrock may invoke the grader as the stack's role: the job trains and the run ends
    assert result["status"] == "SUCCEEDED", (result, failure_cause(cloud, result["executionArn"]))
    (job,) = cloud.bedrock.jobs()
    assert job.status == "Completed"
    assert job.customization_config is not None
    config = job.customization_config["rftConfig"]["graderConfig"]["lambdaGrader"]
    assert config["lambdaArn"] == grader


def test_without_the_grader_permission_bedrock_refuses_the_rft_job(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    tmp_path: Path,
    grader: str,
) -> None:
    # The permission AWS requires for RFT (lambda:InvokeFunction on the grader, for the
    # service role): without it, Bedrock refuses the job
    template = without_statement("BedrockCustomizationRftPolicy", "InvokeTheRftGraders", tmp_path)
    with cloud.iam_policies_from(template):
        upload = upload_dataset("math", rft_records(), spec=rft_spec(grader))
        result = run(cloud, upload, wait_for_execution, notifications)
    assert result["status"] == "FAILED"
    assert cloud.bedrock.jobs() == []
    cause = failure_cause(cloud, result["executionArn"])
    assert "lambda:InvokeFunction" in cause and grader in cause, cause


def test_bedrock_refuses_a_grader_the_service_role_may_not_invoke(cloud: LocalCloud) -> None:
    bucket = cloud.stack.physical_id("DataBucket")
    cloud.client("s3").put_object(Bucket=bucket, Key="datasets/math/t.jsonl", Body=b"{}\n")
    with pytest.raises(ClientError) as caught:
        cloud.client("bedrock").create_model_customization_job(
            jobName="rft-direct",
            customModelName="rft-direct-model",
            roleArn=cloud.stack.outputs["BedrockRoleArn"],
            baseModelIdentifier=MODEL,
            customizationType="REINFORCEMENT_FINE_TUNING",
            trainingDataConfig={"s3Uri": f"s3://{bucket}/datasets/math/t.jsonl"},
            outputDataConfig={"s3Uri": f"s3://{bucket}/outputs/math/direct/"},
            customizationConfig={
                "rftConfig": {"graderConfig": {"lambdaGrader": {"lambdaArn": OTHER_GRADER}}}
            },
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert OTHER_GRADER in error["Message"] and "lambda:InvokeFunction" in error["Message"]
    assert cloud.bedrock.jobs() == []


def test_a_spec_naming_a_grader_the_stack_does_not_allow_is_refused(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    upload_dataset("math", rft_records(), spec=rft_spec(OTHER_GRADER))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(notifications("spec_error")) < 2:
        time.sleep(0.05)
    problems = [n.message for n in notifications("spec_error")]
    assert problems and all("RftGraderFunctionArns" in p for p in problems), problems
    assert cloud.bedrock.jobs() == []


def test_the_service_role_must_trust_bedrock(cloud: LocalCloud, tmp_path: Path) -> None:
    # A role Bedrock may not assume (no trust statement for it) is refused at once
    template = load_yaml(TEMPLATE)
    role = template["Resources"]["BedrockCustomizationRole"]["Properties"]
    role["AssumeRolePolicyDocument"]["Statement"] = []
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    bucket = cloud.stack.physical_id("DataBucket")
    cloud.client("s3").put_object(Bucket=bucket, Key="datasets/p/t.jsonl", Body=b"{}\n")
    with cloud.iam_policies_from(path), pytest.raises(ClientError) as caught:
        cloud.client("bedrock").create_model_customization_job(
            jobName="untrusted",
            customModelName="untrusted-model",
            roleArn=cloud.stack.outputs["BedrockRoleArn"],
            baseModelIdentifier=MODEL,
            trainingDataConfig={"s3Uri": f"s3://{bucket}/datasets/p/t.jsonl"},
            outputDataConfig={"s3Uri": f"s3://{bucket}/outputs/p/direct/"},
        )
    assert caught.value.response["Error"]["Message"] == "Could not assume provided IAM role."
