"""Custom model deployments on the local cloud (the Bedrock simulator, patch 9), and a
promotion through the real adapters: SSM + the deployment + the state table."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_tuner.aws.bedrock import BedrockJobs
from bedrock_tuner.aws.ssm import SsmParameters
from bedrock_tuner.aws.store import Table
from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import PromotionError
from bedrock_tuner.registry import aliases
from bedrock_tuner.registry.metrics import MetricsSummary
from bedrock_tuner.registry.versions import DatasetLineage, ModelVersion
from bedrock_tuner_localcloud.server import LocalCloud

MODEL = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:300k/{}"


@pytest.fixture
def bedrock(cloud: LocalCloud) -> Any:
    return cloud.client("bedrock")


def wait(bedrock: Any, arn: str, done: Any, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = bedrock.get_custom_model_deployment(
            customModelDeploymentIdentifier=arn
        )
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_deployment_lifecycle(bedrock: Any, cloud: LocalCloud) -> None:
    name = f"dep-{uuid.uuid4().hex[:8]}"
    arn = bedrock.create_custom_model_deployment(
        modelDeploymentName=name, modelArn=MODEL.format("a")
    )["customModelDeploymentArn"]
    assert ":custom-model-deployment/" in arn
    first = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert first["status"] in {"Creating", "Active"}
    assert wait(bedrock, arn, lambda d: d["status"] == "Active")["status"] == "Active"
    with pytest.raises(ClientError) as conflict:
        bedrock.create_custom_model_deployment(modelDeploymentName=name, modelArn=MODEL.format("a"))
    assert conflict.value.response["Error"]["Code"] == "ConflictException"

    bedrock.update_custom_model_deployment(
        customModelDeploymentIdentifier=arn, modelArn=MODEL.format("b")
    )
    updating = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert updating["updateDetails"]["updateStatus"] in {"Updating", "UpdateCompleted"}
    done = wait(bedrock, arn, lambda d: d["updateDetails"]["updateStatus"] != "Updating")
    assert done["updateDetails"]["updateStatus"] == "UpdateCompleted"
    assert done["modelArn"] == MODEL.format("b")

    cloud.bedrock.fail_next_deployment_update()
    bedrock.update_custom_model_deployment(
        customModelDeploymentIdentifier=arn, modelArn=MODEL.format("c")
    )
    failed = wait(bedrock, arn, lambda d: d["updateDetails"]["updateStatus"] != "Updating")
    assert failed["updateDetails"]["updateStatus"] == "UpdateFailed"
    assert failed["modelArn"] == MODEL.format("b")

    with pytest.raises(ClientError) as missing:
        bedrock.get_custom_model_deployment(customModelDeploymentIdentifier="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_promotion_through_the_adapters(
    bedrock: Any, cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aliases, "DEPLOYMENT_POLL_SECONDS", 0.05)
    deps = Deps.on_table(
        None,  # type: ignore[arg-type]  # promotion reads no settings
        Table(cloud.stack.physical_id("StateTable"), lambda: cloud.client("dynamodb")),
        bedrock=BedrockJobs(lambda: cloud.client("bedrock")),
        ssm=SsmParameters(lambda: cloud.client("ssm")),
    )
    family = f"fam-{uuid.uuid4().hex[:6]}"
    for number in (1, 2):

        def build(n: int) -> ModelVersion:
            return ModelVersion(
                family=family,
                version=n,
                model_arn=MODEL.format(f"{family}-{n}"),
                pipeline=family,
                run_id=f"r{n}",
                job_arn=f"j{n}",
                base_model="amazon.nova-lite-v1:0:300k",
                customization_type="FINE_TUNING",
                dataset=DatasetLineage(uri="s3://b/k"),
                metrics=MetricsSummary(validation_loss=1.0 / n),
                registered_at=deps.now(),
            )

        deps.versions.register(family, f"job-{family}-{number}", build)
    deployment = bedrock.create_custom_model_deployment(
        modelDeploymentName=family, modelArn=MODEL.format(f"{family}-1")
    )["customModelDeploymentArn"]
    wait(bedrock, deployment, lambda d: d["status"] == "Active")
    aliases.set_family_deployment(deps, family, deployment)

    aliases.promote(deps, family, "production", 1, by="e2e", reason="first")
    change = aliases.promote(deps, family, "production", 2, by="e2e", reason="better")
    assert change.target_arn == deployment
    assert deps.ssm.get(f"/bedrock-tuner/{family}/production") == deployment
    current = bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=deployment)
    assert current["modelArn"] == MODEL.format(f"{family}-2")

    cloud.bedrock.fail_next_deployment_update()
    with pytest.raises(PromotionError, match="undone"):
        aliases.rollback(deps, family, "production", by="e2e", reason="try")
    state = aliases.get_alias(deps, family, "production")
    assert (state.version, state.lease_id) == (2, None)
    assert [h.status for h in aliases.alias_history(deps, family, "production")] == [
        "succeeded",
        "succeeded",
        "failed",
    ]
