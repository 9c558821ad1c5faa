"""Given template.yaml deployed on the local cloud, every resource of the template exists in moto
with the properties that matter, the functions are registered with the Lambda bridge, and the
state machine runs the real ASL with every substitution filled in."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_localcloud.deploy import Deployment
from bedrock_tuner_localcloud.resolve import StaticResolver
from bedrock_tuner_localcloud.server import LocalCloud

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "statemachine" / "customization.asl.json"


def _active_resources(stack: Deployment) -> dict[str, dict[str, Any]]:
    """The translated template's resources whose Condition holds for the deployed parameters."""
    pseudo = {
        "AWS::StackName": stack.stack_name,
        "AWS::Region": "us-east-1",
        "AWS::AccountId": "123456789012",
    }
    resolver = StaticResolver(stack.cfn, stack.parameters, pseudo)
    return {
        lid: res
        for lid, res in stack.cfn["Resources"].items()
        if not res.get("Condition") or resolver.condition(res["Condition"])
    }


def _resolver(stack: Deployment) -> Callable[[Any], Any]:
    """Resolve Ref / GetAtt Arn in a template fragment to the deployed values."""
    defaults = {
        k: str(v.get("Default", "")) for k, v in (stack.cfn.get("Parameters") or {}).items()
    }

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(x) for x in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            name = node["Ref"]
            if name in stack.resources:
                return stack.physical_id(name)
            return stack.parameters.get(name, defaults.get(name))
        if set(node) == {"Fn::GetAtt"}:
            lid, attr = node["Fn::GetAtt"]
            assert attr in ("Arn", "QueueName", "Name"), attr
            if attr == "Arn":
                return stack.arn(lid)
            return stack.physical_id(lid).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return {k: resolve(v) for k, v in node.items()}

    return resolve


@pytest.fixture(scope="module")
def stack(cloud: LocalCloud) -> Deployment:
    return cloud.stack


def test_every_resource_of_the_template_was_created(stack: Deployment) -> None:
    missing = sorted(set(_active_resources(stack)) - set(stack.resources))
    assert not missing, f"not created: {missing}"
    unresolved = [r.logical_id for r in stack.resources.values() if "@@" in r.physical_id]
    assert not unresolved


def test_every_resource_type_is_checked_here(stack: Deployment) -> None:
    types = {res["Type"] for res in _active_resources(stack).values()}
    unchecked = sorted(types - set(CHECKS))
    assert not unchecked, f"add a check for {unchecked} to CHECKS in this file"


def test_outputs_are_resolved(stack: Deployment) -> None:
    for name in stack.sam.get("Outputs", {}):
        value = stack.outputs.get(name)
        assert value, f"output {name} missing or empty"
        assert "@@" not in value and "<moto" not in value and "object at 0x" not in value, (
            name,
            value,
        )


def test_data_bucket_is_versioned_encrypted_and_sends_events(
    cloud: LocalCloud, stack: Deployment
) -> None:
    s3 = cloud.client("s3")
    bucket = stack.physical_id("DataBucket")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert (
        rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == stack.outputs["KmsKeyArn"]
    )
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_tables_have_the_templates_keys(cloud: LocalCloud, stack: Deployment) -> None:
    ddb = cloud.client("dynamodb")
    for lid, res in _active_resources(stack).items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        table = ddb.describe_table(TableName=stack.physical_id(lid))["Table"]
        assert table["KeySchema"] == props["KeySchema"], lid
        assert {
            (a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]
        } == {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]}, lid
        assert {
            g["IndexName"]: g["KeySchema"] for g in table.get("GlobalSecondaryIndexes", [])
        } == {g["IndexName"]: g["KeySchema"] for g in props.get("GlobalSecondaryIndexes", [])}, lid
        ttl = ddb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"], lid
        backups = ddb.describe_continuous_backups(TableName=table["TableName"])
        pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert pitr["PointInTimeRecoveryStatus"] == "ENABLED", lid


def test_rules_have_their_pattern_and_targets(cloud: LocalCloud, stack: Deployment) -> None:
    events = cloud.client("events")
    resolve = _resolver(stack)
    rules = {
        lid: r for lid, r in _active_resources(stack).items() if r["Type"] == "AWS::Events::Rule"
    }
    assert rules
    for lid, res in rules.items():
        props = res["Properties"]
        name = stack.physical_id(lid)
        described = events.describe_rule(Name=name)
        if "EventPattern" in props:
            assert json.loads(described["EventPattern"]) == resolve(props["EventPattern"]), lid
        if "ScheduleExpression" in props:
            assert described["ScheduleExpression"] == resolve(props["ScheduleExpression"]), lid
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        assert sorted(t["Arn"] for t in targets) == sorted(
            resolve(t["Arn"]) for t in props["Targets"]
        )
        for target in targets:
            assert target["DeadLetterConfig"]["Arn"] == stack.arn("EventsDeadLetterQueue"), lid


def test_functions_are_registered_in_the_bridge(cloud: LocalCloud, stack: Deployment) -> None:
    lam = cloud.client("lambda")
    registered = cloud.bridge.functions
    for lid, res in stack.sam["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        spec = registered[lid]
        code = res["Properties"]["CodeUri"].rstrip("/")
        assert spec.code_dir == (ROOT / code).resolve()
        assert spec.module_file == (ROOT / code / "app.py").resolve()
        assert spec.name == stack.physical_id(lid)
        config = lam.get_function_configuration(FunctionName=spec.name)
        assert config["FunctionArn"] == spec.arn
        assert [layer["Arn"] for layer in config["Layers"]] == [stack.outputs["CoreLayerArn"]]


def test_function_environment_is_resolved_and_applied(cloud: LocalCloud, stack: Deployment) -> None:
    expected = {
        "BT_DATA_BUCKET": stack.physical_id("DataBucket"),
        "BT_TABLE_NAME": stack.physical_id("StateTable"),
        "BT_IDEMPOTENCY_TABLE": stack.physical_id("IdempotencyTable"),
        "BT_TOPIC_ARN": stack.outputs["NotificationTopicArn"],
        "BT_BEDROCK_ROLE_ARN": stack.outputs["BedrockRoleArn"],
        "BT_KMS_KEY_ARN": stack.outputs["KmsKeyArn"],
        "BT_STATE_MACHINE_ARN": stack.outputs["StateMachineArn"],
    }
    for spec in cloud.bridge.functions.values():
        for key, value in spec.environment.items():
            assert os.environ.get(key) == value, (spec.logical_id, key)
    for key, value in expected.items():
        assert os.environ.get(key) == value, key
    uploaded = cloud.bridge.functions["OnDatasetUploadedFunction"].environment
    assert uploaded["BT_STATE_MACHINE_ARN"] == stack.outputs["StateMachineArn"]


def test_async_functions_fail_over_to_the_failure_queue(
    cloud: LocalCloud, stack: Deployment
) -> None:
    for lid, res in _active_resources(stack).items():
        if res["Type"] != "AWS::Lambda::EventInvokeConfig":
            continue
        spec = cloud.bridge.functions[res["Properties"]["FunctionName"]["Ref"]]
        assert spec.on_failure_arn == stack.arn("FunctionFailureQueue"), lid
        assert spec.max_async_retries == res["Properties"]["MaximumRetryAttempts"], lid


def test_state_machine_runs_the_asl_with_every_substitution(
    cloud: LocalCloud, stack: Deployment
) -> None:
    sfn = cloud.client("stepfunctions")
    described = sfn.describe_state_machine(stateMachineArn=stack.outputs["StateMachineArn"])
    definition = described["definition"]
    assert "${" not in definition
    resolve = _resolver(stack)
    substitutions = stack.sam["Resources"]["CustomizationStateMachine"]["Properties"][
        "DefinitionSubstitutions"
    ]
    text = ASL.read_text()
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", str(resolve(value)))
    assert json.loads(definition) == json.loads(text)
    assert described["loggingConfiguration"]["level"] == "ERROR"
    assert described["tracingConfiguration"]["enabled"] is True


def test_fast_timings_reach_the_workflow(stack: Deployment) -> None:
    assert stack.parameters["SlotWaitSeconds"] == "1"


def test_the_notification_tap_is_subscribed(cloud: LocalCloud, stack: Deployment) -> None:
    subscriptions = cloud.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["NotificationTopicArn"]
    )["Subscriptions"]
    assert any(
        s["Protocol"] == "sqs" and "notification-tap" in s["Endpoint"] for s in subscriptions
    )


# ----------------------------------------------------------------------------------- per type
def _bucket(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    cloud.client("s3").head_bucket(Bucket=stack.physical_id(lid))


def _bucket_policy(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    assert any(lid in note for note in stack.relaxations) or cloud.client("s3").get_bucket_policy(
        Bucket=stack.physical_id(lid)
    )


def _table(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    sse = cloud.client("dynamodb").describe_table(TableName=stack.physical_id(lid))["Table"]
    assert sse["SSEDescription"]["Status"] == "ENABLED"


def _topic(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    attrs = cloud.client("sns").get_topic_attributes(TopicArn=stack.physical_id(lid))["Attributes"]
    assert attrs["KmsMasterKeyId"] == stack.outputs["KmsKeyArn"]


def _topic_policy(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    for arn in stack.physical_id(lid).split(","):
        attrs = cloud.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
        assert "CloudWatchAlarmsOfThisAccount" in attrs["Policy"]


def _queue(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical_id(lid), AttributeNames=["All"]
    )["Attributes"]
    assert attrs["KmsMasterKeyId"] == stack.outputs["KmsKeyArn"]


def _queue_policy(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    for url in stack.physical_id(lid).split(","):
        attrs = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        assert json.loads(attrs["Attributes"]["Policy"])["Statement"]


def _role(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    cloud.client("iam").get_role(RoleName=stack.physical_id(lid))


def _role_policy(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    role = stack.physical_id(props["RoleName"]["Ref"])
    cloud.client("iam").get_role_policy(RoleName=role, PolicyName=props["PolicyName"])


def _managed_policy(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    """The API's role policies: created, their method ARNs resolved to this API."""
    iam = cloud.client("iam")
    policy = iam.get_policy(PolicyArn=stack.physical_id(lid))["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]
    document = version["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    api = stack.physical_id("Api")
    for statement in document["Statement"]:
        assert statement["Action"] == "execute-api:Invoke", statement
        for arn in statement["Resource"]:
            assert f":execute-api:{cloud.region}:" in arn and f":{api}/v1/" in arn, arn


def _key(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    meta = cloud.client("kms").describe_key(KeyId=stack.physical_id(lid))["KeyMetadata"]
    assert meta["Enabled"]
    # moto's KMS must be able to read the key policy (a dict would break every KMS call)
    json.loads(
        cloud.client("kms").get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]
    )


def _alias(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    aliases = cloud.client("kms").list_aliases()["Aliases"]
    assert any(a["AliasName"] == stack.physical_id(lid) for a in aliases)


def _layer(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    arn = stack.physical_id(lid)
    versions = cloud.client("lambda").list_layer_versions(LayerName=arn.split(":")[6])
    assert arn in [v["LayerVersionArn"] for v in versions["LayerVersions"]]


def _function(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    assert cloud.bridge.handles(stack.physical_id(lid))


def _permission(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    function = stack.physical_id(props["FunctionName"]["Ref"])
    policy = json.loads(cloud.client("lambda").get_policy(FunctionName=function)["Policy"])
    principals = {json.dumps(s.get("Principal")) for s in policy["Statement"]}
    assert any(props["Principal"] in p for p in principals), lid


def _invoke_config(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    function = stack.physical_id(props["FunctionName"]["Ref"])
    cloud.client("lambda").get_function_event_invoke_config(FunctionName=function)


def _rule(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    assert cloud.client("events").describe_rule(Name=stack.physical_id(lid))["State"] == props.get(
        "State", "ENABLED"
    )


def _log_group(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    name = stack.physical_id(lid)
    groups = cloud.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert [g["logGroupName"] for g in groups if g["logGroupName"] == name], lid
    assert re.fullmatch(r"/aws/(lambda|vendedlogs/states|apigateway)/.+", name), name


def _alarm(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    alarms = cloud.client("cloudwatch").describe_alarms(AlarmNames=[stack.physical_id(lid)])
    found = alarms["MetricAlarms"]
    assert found and found[0]["AlarmActions"] == [stack.outputs["NotificationTopicArn"]], lid


def _state_machine(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    cloud.client("stepfunctions").describe_state_machine(stateMachineArn=stack.physical_id(lid))


def _rest_api(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    cloud.client("apigateway").get_rest_api(restApiId=stack.physical_id(lid))


def _api_recorded(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    # Deployment and stage are recorded, not created: the local HTTP front invokes the function
    assert stack.physical_id(lid) in {f"local-{lid}", props.get("StageName")}, lid


def _subscription(cloud: LocalCloud, stack: Deployment, lid: str, props: dict[str, Any]) -> None:
    assert stack.physical_id(lid).startswith("arn:aws:sns:")


CHECKS: dict[str, Callable[[LocalCloud, Deployment, str, dict[str, Any]], None]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::DynamoDB::Table": _table,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::IAM::Role": _role,
    "AWS::IAM::RolePolicy": _role_policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::KMS::Key": _key,
    "AWS::KMS::Alias": _alias,
    "AWS::Lambda::LayerVersion": _layer,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::Permission": _permission,
    "AWS::Lambda::EventInvokeConfig": _invoke_config,
    "AWS::Events::Rule": _rule,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGateway::Deployment": _api_recorded,
    "AWS::ApiGateway::Stage": _api_recorded,
}


def test_each_resource_exists_in_moto(cloud: LocalCloud, stack: Deployment) -> None:
    for lid, res in sorted(_active_resources(stack).items()):
        check = CHECKS.get(res["Type"])
        if check is not None:
            check(cloud, stack, lid, res.get("Properties", {}))
