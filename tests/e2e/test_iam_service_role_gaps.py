"""The Bedrock simulator's other two service-role checks (issue 8, item 6): Bedrock must be able
to WRITE the job's output location and to USE the stack's KMS key as the role the job names.
As in test_iam.py, each failing case removes one statement of the role's policy from a copy of
template.yaml: the job is created, fails its validation stage with the check's message, and the
run fails telling people why. With the whole policy the same run trains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_localcloud.server import LocalCloud
from bedrock_tuner_localcloud.template import load_yaml
from e2e.test_iam import run

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
MODEL = "amazon.nova-2-lite-v1:0:256k"
ROLE_POLICY = "BedrockCustomizationRolePolicy"
SPEC = {
    "base_model": MODEL,
    "customization_type": "FINE_TUNING",
    "budget": {"auto_approve_usd": 25, "max_usd": 500},
}


def without_statement(sid: str, folder: Path) -> Path:
    """A copy of template.yaml without the statement ``sid`` of the Bedrock role's policy."""
    template = load_yaml(TEMPLATE)
    document = template["Resources"][ROLE_POLICY]["Properties"]["PolicyDocument"]
    kept = [s for s in document["Statement"] if s.get("Sid") != sid]
    assert len(kept) == len(document["Statement"]) - 1, f"{ROLE_POLICY} has no statement {sid}"
    document["Statement"] = kept
    path = folder / "template.json"
    path.write_text(json.dumps(template))
    return path


def key_arn(cloud: LocalCloud) -> str:
    return str(
        cloud.client("kms").describe_key(KeyId=cloud.stack.physical_id("DataKey"))["KeyMetadata"][
            "Arn"
        ]
    )


def test_with_the_whole_policy_bedrock_writes_the_output_with_the_stacks_key(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    # The checks below are not vacuous: the bucket is encrypted with the stack's key, and the
    # job asks Bedrock to encrypt the model with it
    bucket = cloud.stack.physical_id("DataBucket")
    assert cloud.iam is not None and cloud.iam.world.bucket_key(bucket) == key_arn(cloud)
    upload = upload_dataset("support", GOOD, spec=SPEC)
    result = run(cloud, upload, wait_for_execution, notifications)
    assert result["status"] == "SUCCEEDED", result
    (job,) = cloud.bedrock.jobs()
    assert job.status == "Completed"
    assert job.custom_model_kms_key_id
    assert cloud.iam.world.key_arn(job.custom_model_kms_key_id, job.region) == key_arn(cloud)
    assert job.output_data_config["s3Uri"].startswith(f"s3://{bucket}/outputs/")


@pytest.mark.parametrize(
    ("sid", "expected"),
    [
        (
            "WriteJobOutput",
            "Amazon S3 perms missing (PutObject): Could not validate PutObject permissions to "
            "access S3 bucket: {bucket} at key outputs/support/{run_id}/"
            ".write_access_check_file.tmp",
        ),
        (
            "KeyDescribe",
            "Could not validate permissions to use the AWS KMS key: {key} (the role {role} "
            "needs kms:DescribeKey on it)",
        ),
        (
            "KeyCreateGrantForBedrock",
            "Could not validate permissions to use the AWS KMS key: {key} (the role {role} "
            "needs kms:CreateGrant on it)",
        ),
    ],
    ids=["write-output", "describe-key", "create-grant"],
)
def test_without_the_permission_the_job_fails_with_the_checks_message(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    tmp_path: Path,
    sid: str,
    expected: str,
) -> None:
    # Given Bedrock's role without one statement (stages slower, as in test_iam.py: a job
    # failing at once can end before the workflow stores its wait token)
    cloud.bedrock.set_speed(5)
    with cloud.iam_policies_from(without_statement(sid, tmp_path)):
        upload = upload_dataset("support", GOOD, spec=SPEC)
        result = run(cloud, upload, wait_for_execution, notifications)
    # Then the job fails its validation stage with the check's message, and people are told
    assert result["status"] == "FAILED", result
    (job,) = cloud.bedrock.jobs()
    assert job.status == "Failed"
    assert job.stages["validation"]["status"] == "Failed"
    message = expected.format(
        bucket=cloud.stack.physical_id("DataBucket"),
        run_id=result["input"]["runId"],
        key=key_arn(cloud),
        role=job.role_arn,
    )
    assert job.failure_message is not None and job.failure_message.startswith(message), (
        job.failure_message
    )
    assert any(message in n.message for n in notifications("job_failed")), notifications()
