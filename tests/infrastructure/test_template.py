"""Invariants of template.yaml and statemachine/customization.asl.json.

Most checks read the template *translated* by the SAM translator (offline), so they see what
CloudFormation deploys: the generated roles, rules, permissions and event-invoke configs.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------- helpers

ROOT = Path(__file__).resolve().parents[2]

KEY = {"Fn::If": ["CreateKey", {"Fn::GetAtt": ["DataKey", "Arn"]}, {"Ref": "KmsKeyArn"}]}
TOPIC = {"Ref": "NotificationTopic"}
STATE_MACHINE = "CustomizationStateMachine"
STATE_MACHINE_NAME = {"Fn::Sub": "${AWS::StackName}-customization"}
JOB_ARNS = {
    "Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:model-customization-job/*"
}

# Actions that take no resource-level permissions: "*" is their only valid Resource.
UNSCOPABLE_ACTIONS = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        # List actions have no resource type in the Service Authorization Reference: the
        # reconciler lists jobs in progress to stop those of ended runs (I2).
        "bedrock:ListModelCustomizationJobs",
    }
)
# AWS managed policies a role may carry (SAM attaches both: logs to the function's own log
# group, X-Ray segments). Anything else needs a review and an entry here.
REVIEWED_MANAGED_POLICIES = frozenset({"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"})
# SAM policy templates (e.g. DynamoDBCrudPolicy) a function may use instead of inline
# statements, once their expansion has been reviewed. None is used today: every statement is
# written out, one action each.
REVIEWED_POLICY_TEMPLATES: frozenset[str] = frozenset()
ASYNC_PRINCIPALS = frozenset({"events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com"})
ASL_TASK_RESOURCES = frozenset(
    {
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::dynamodb:updateItem",
    }
)


def resources_of(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] in types}


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    value = template["Resources"][name].get("Properties", {})
    assert isinstance(value, dict)
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def branches(value: Any) -> Iterator[Any]:
    """``value`` with a top-level ``Fn::If`` replaced by each branch (``NoValue`` dropped)."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        for branch in value["Fn::If"][1:]:
            if branch != {"Ref": "AWS::NoValue"}:
                yield from branches(branch)
    else:
        yield value


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in as_list(document.get("Statement")):
        for statement in branches(item):
            assert isinstance(statement, dict), statement
            yield statement


def identity_policies(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource, statement) of every identity policy: role inline policies and IAM policies."""
    for name, resource in cfn["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                for statement in statements(policy["PolicyDocument"]):
                    yield name, statement
        elif resource["Type"] in (
            "AWS::IAM::RolePolicy",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
        ):
            for statement in statements(properties["PolicyDocument"]):
                yield name, statement


def resource_policies(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    documents = {
        "AWS::S3::BucketPolicy": "PolicyDocument",
        "AWS::SQS::QueuePolicy": "PolicyDocument",
        "AWS::SNS::TopicPolicy": "PolicyDocument",
        "AWS::KMS::Key": "KeyPolicy",
        "AWS::IAM::Role": "AssumeRolePolicyDocument",
    }
    for name, resource in cfn["Resources"].items():
        key = documents.get(resource["Type"])
        if key:
            for statement in statements(resource["Properties"][key]):
                yield name, statement


def actions(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def single_action(resource: str, statement: dict[str, Any]) -> str:
    found = actions(statement)
    assert len(found) == 1, (
        f"{resource} {statement.get('Sid')}: one action per statement, not {found}"
    )
    return found[0]


def getatt_target(value: Any) -> str | None:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return None


def function_names(cfn: dict[str, Any]) -> list[str]:
    return sorted(resources_of(cfn, "AWS::Lambda::Function"))


def alarms_for(cfn: dict[str, Any], namespace: str, metric: str, dimension: Any) -> list[str]:
    """Alarms watching ``metric`` with ``dimension`` as a dimension value, plain or in math."""
    found = []
    for name, alarm in resources_of(cfn, "AWS::CloudWatch::Alarm").items():
        p = alarm["Properties"]
        watched = [p] + [
            m["MetricStat"]["Metric"] for m in p.get("Metrics", []) if "MetricStat" in m
        ]
        for m in watched:
            values = [d["Value"] for d in m.get("Dimensions", [])]
            if (
                m.get("Namespace") == namespace
                and m.get("MetricName") == metric
                and dimension in values
            ):
                found.append(name)
    return found


def snake(logical_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()


# --------------------------------------------------------------------------- contract


def test_every_contract_name_is_in_the_template(sam: dict[str, Any], contract: Any) -> None:
    missing = contract.logical_ids - set(sam["Resources"])
    assert not missing, f"docs/pipeline.md names resources the template lacks: {sorted(missing)}"


def test_parameters_and_defaults_match_the_contract(sam: dict[str, Any], contract: Any) -> None:
    for name, default in contract.parameters.items():
        assert name in sam["Parameters"], name
        actual = sam["Parameters"][name].get("Default")
        if default is not None:
            assert str(actual) == default, (name, actual, default)
        else:
            assert actual == "", f"{name} is optional: its default must be empty"


def test_outputs(sam: dict[str, Any]) -> None:
    wanted = {
        "DataBucketName",
        "StateMachineArn",
        "StateTableName",
        "NotificationTopicArn",
        "BedrockRoleArn",
        "KmsKeyArn",
    } | {f"{name}Name" for name in resources_of(sam, "AWS::Serverless::Function")}
    assert wanted <= set(sam["Outputs"])


def test_functions_follow_the_layout(sam: dict[str, Any], contract: Any) -> None:
    functions = resources_of(sam, "AWS::Serverless::Function")
    assert set(functions) == {n for n in contract.logical_ids if n.endswith("Function")}
    for name, function in functions.items():
        assert function["Properties"]["CodeUri"] == f"functions/{snake(name)}/", name


def test_environment_is_the_contracts(cfn: dict[str, Any], contract: Any) -> None:
    allowed = contract.global_env | set(contract.only_env)
    for name in function_names(cfn):
        variables = set(props(cfn, name)["Environment"]["Variables"])
        assert variables <= allowed, (name, sorted(variables - allowed))
        assert contract.global_env <= variables, (name, sorted(contract.global_env - variables))
        for variable, owners in contract.only_env.items():
            assert (variable in variables) == (name in owners), (name, variable)


# --------------------------------------------------------------------------- workflow


def test_asl_placeholders_and_substitutions_match(
    cfn: dict[str, Any], asl_text: str, contract: Any
) -> None:
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", asl_text))
    substitutions = set(props(cfn, STATE_MACHINE)["DefinitionSubstitutions"])
    assert placeholders - substitutions == set(), "placeholders without a substitution"
    assert substitutions - placeholders == set(), "substitutions the definition never uses"
    assert substitutions == set(contract.substitutions)


def _check_states(states: dict[str, Any], start_at: str, where: str) -> None:
    assert start_at in states, f"{where}: StartAt {start_at!r} is not a state"
    edges: dict[str, list[str]] = {}
    for name, state in states.items():
        targets = [state.get("Next"), state.get("Default")]
        targets += [choice.get("Next") for choice in state.get("Choices", [])]
        targets += [catch.get("Next") for catch in state.get("Catch", [])]
        edges[name] = [t for t in targets if t is not None]
        for target in edges[name]:
            assert target in states, f"{where}: {name!r} goes to missing state {target!r}"
        ends = state["Type"] in ("Choice", "Succeed", "Fail") or state.get("End") is True
        assert ends or "Next" in state, f"{where}: {name!r} has neither Next nor End"
        for branch in state.get("Branches", []):
            _check_states(branch["States"], branch["StartAt"], f"{where}/{name}")
        inner = state.get("ItemProcessor") or state.get("Iterator")
        if inner:
            _check_states(inner["States"], inner["StartAt"], f"{where}/{name}")
    seen, queue = {start_at}, deque([start_at])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert set(states) == seen, f"{where}: unreachable states {sorted(set(states) - seen)}"


def test_asl_transitions_exist_and_every_state_is_reachable(asl: dict[str, Any]) -> None:
    _check_states(asl["States"], asl["StartAt"], "customization.asl.json")


def _tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from _tasks(branch["States"])
        inner = state.get("ItemProcessor") or state.get("Iterator")
        if inner:
            yield from _tasks(inner["States"])


def test_every_task_uses_a_granted_integration_and_catches_everything(
    cfn: dict[str, Any], asl: dict[str, Any]
) -> None:
    substitutions = props(cfn, STATE_MACHINE)["DefinitionSubstitutions"]
    role = props(cfn, props(cfn, STATE_MACHINE)["RoleArn"]["Fn::GetAtt"][0])
    granted: dict[str, list[Any]] = {}
    for policy in role["Policies"]:
        for statement in statements(policy["PolicyDocument"]):
            for action in actions(statement):
                granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    for name, task in _tasks(asl["States"]):
        assert task["Resource"] in ASL_TASK_RESOURCES, (name, task["Resource"])
        catches = [e for c in task.get("Catch", []) for e in c["ErrorEquals"]]
        assert "States.ALL" in catches, f"{name!r} does not catch States.ALL"
        parameters = task["Parameters"]
        if task["Resource"].startswith("arn:aws:states:::lambda:"):
            placeholder = re.fullmatch(r"\$\{(\w+)\}", parameters["FunctionName"])
            assert placeholder, (name, parameters["FunctionName"])
            function = substitutions[placeholder.group(1)]
            assert function in granted["lambda:InvokeFunction"], (name, function)
        else:
            assert parameters["TableName"] == "${StateTableName}", name
            assert substitutions["StateTableName"] == {"Ref": "StateTable"}
            assert {"Fn::GetAtt": ["StateTable", "Arn"]} in granted["dynamodb:UpdateItem"]


def test_state_machine_is_standard_traced_and_logged(cfn: dict[str, Any]) -> None:
    machine = props(cfn, STATE_MACHINE)
    assert machine["StateMachineType"] == "STANDARD"  # task tokens need STANDARD
    assert machine["StateMachineName"] == STATE_MACHINE_NAME
    assert machine["TracingConfiguration"] == {"Enabled": True}
    destinations = machine["LoggingConfiguration"]["Destinations"]
    group = destinations[0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert props(cfn, group)["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert props(cfn, group)["KmsKeyId"] == KEY


# --------------------------------------------------------------------------- IAM


def test_no_wildcard_actions(cfn: dict[str, Any]) -> None:
    for name, statement in [*identity_policies(cfn), *resource_policies(cfn)]:
        if statement["Effect"] != "Allow":
            continue  # a Deny may be broad (e.g. every s3:* without TLS)
        assert "NotAction" not in statement and "NotResource" not in statement, name
        for action in actions(statement):
            root = statement.get("Principal") == {
                "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            }
            if name == "DataKey" and root and action == "kms:*":
                continue  # AWS's default key policy statement: delegates the key to IAM
            assert "*" not in action, (name, statement.get("Sid"), action)


def test_identity_statements_are_single_action_and_scoped(cfn: dict[str, Any]) -> None:
    for name, statement in identity_policies(cfn):
        if statement["Effect"] != "Allow":
            continue
        action = single_action(name, statement)
        resources = as_list(statement["Resource"])
        if "*" in resources:
            assert action in UNSCOPABLE_ACTIONS, (name, statement.get("Sid"), action)


def test_only_reviewed_managed_policies_and_policy_templates(
    cfn: dict[str, Any], sam: dict[str, Any]
) -> None:
    for name, role in resources_of(cfn, "AWS::IAM::Role").items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert isinstance(arn, str), (name, arn)
            assert arn.rsplit("/", 1)[-1] in REVIEWED_MANAGED_POLICIES, (name, arn)
    serverless = resources_of(sam, "AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    for name, resource in serverless.items():
        for policy in as_list(resource["Properties"].get("Policies")):
            if isinstance(policy, str):
                assert policy in REVIEWED_MANAGED_POLICIES, (name, policy)
            elif "Statement" not in policy:
                (template,) = policy
                assert template in REVIEWED_POLICY_TEMPLATES, (name, template)


def test_bedrock_role_trusts_only_this_accounts_jobs(cfn: dict[str, Any]) -> None:
    (statement,) = statements(props(cfn, "BedrockCustomizationRole")["AssumeRolePolicyDocument"])
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    condition = statement.get("Condition", {})
    assert condition.get("StringEquals") == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert condition.get("ArnLike") == {"aws:SourceArn": JOB_ARNS}


def test_bedrock_role_reaches_only_the_job_prefixes_and_the_key(cfn: dict[str, Any]) -> None:
    prefixes = {
        "s3:GetObject": {"datasets", "work", "outputs"},
        "s3:PutObject": {"outputs"},
    }
    for statement in statements(props(cfn, "BedrockCustomizationRolePolicy")["PolicyDocument"]):
        action = single_action("BedrockCustomizationRolePolicy", statement)
        if action in prefixes:
            for resource in as_list(statement["Resource"]):
                match = re.fullmatch(r"\$\{DataBucket\.Arn\}/(\w+)/\*", resource["Fn::Sub"])
                assert match and match.group(1) in prefixes[action], (action, resource)
        elif action.startswith("kms:"):
            assert statement["Resource"] == KEY
        else:
            assert action == "s3:ListBucket", action
    assert cfn["Resources"]["BedrockCustomizationVpcPolicy"]["Condition"] == "HasJobVpc"


def test_bedrock_role_invokes_only_the_stacks_rft_graders(
    cfn: dict[str, Any], sam: dict[str, Any]
) -> None:
    # RFT: Bedrock invokes the grader as the service role (lambda:InvokeFunction), only the
    # functions the stack parameter names, and only when it names some.
    policy = cfn["Resources"]["BedrockCustomizationRftPolicy"]
    assert policy["Condition"] == "HasRftGraders"
    assert policy["Properties"]["RoleName"] == {"Ref": "BedrockCustomizationRole"}
    (statement,) = statements(policy["Properties"]["PolicyDocument"])
    assert single_action("BedrockCustomizationRftPolicy", statement) == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Ref": "RftGraderFunctionArns"}
    invokes = [
        name
        for name, s in identity_policies(cfn)
        if "lambda:InvokeFunction" in actions(s) and name != "CustomizationStateMachineRole"
    ]
    assert invokes == ["BedrockCustomizationRftPolicy"]
    parameter = sam["Parameters"]["RftGraderFunctionArns"]
    assert parameter["Type"] == "CommaDelimitedList" and parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    for arn in (
        "",
        "arn:aws:lambda:us-west-2:123456789012:function:grade-math",
        "arn:aws:lambda:us-west-2:123456789012:function:grade-math:live",
    ):
        assert pattern.fullmatch(arn), arn
    assert not pattern.fullmatch("arn:aws:lambda:us-west-2:123456789012:function:*")
    env = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert env["BT_RFT_GRADER_ARNS"] == {"Fn::Join": [",", {"Ref": "RftGraderFunctionArns"}]}


def test_pass_role_only_the_bedrock_role_to_bedrock(cfn: dict[str, Any]) -> None:
    passes = [s for _, s in identity_policies(cfn) if "iam:PassRole" in actions(s)]
    assert passes
    for statement in passes:
        assert statement["Resource"] == {"Fn::GetAtt": ["BedrockCustomizationRole", "Arn"]}
        assert statement.get("Condition") == {
            "StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}
        }


def test_task_tokens_and_jobs_are_scoped(cfn: dict[str, Any]) -> None:
    own_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
        + STATE_MACHINE_NAME["Fn::Sub"]
    }
    for name, statement in identity_policies(cfn):
        action = single_action(name, statement)
        if action.startswith("states:SendTask") or action == "states:StartExecution":
            assert statement["Resource"] in ({"Ref": STATE_MACHINE}, own_arn), (name, action)
        if action in ("bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"):
            assert statement["Resource"] == JOB_ARNS, (name, action)


def test_key_policy_lets_bedrock_use_the_key(cfn: dict[str, Any]) -> None:
    grants = [
        s
        for s in statements(props(cfn, "DataKey")["KeyPolicy"])
        if s.get("Principal") == {"AWS": {"Fn::GetAtt": ["BedrockCustomizationRole", "Arn"]}}
    ]
    assert grants
    assert {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"} <= {
        a for s in grants for a in actions(s)
    }


def _bedrock_role_key_statements(cfn: dict[str, Any]) -> list[dict[str, Any]]:
    key_policy = [
        s
        for s in statements(props(cfn, "DataKey")["KeyPolicy"])
        if s.get("Principal") == {"AWS": {"Fn::GetAtt": ["BedrockCustomizationRole", "Arn"]}}
    ]
    identity = [
        s
        for s in statements(props(cfn, "BedrockCustomizationRolePolicy")["PolicyDocument"])
        if any(a.startswith("kms:") for a in actions(s))
    ]
    return key_policy + identity


def test_the_bedrock_role_uses_the_key_only_through_bedrock_or_s3(cfn: dict[str, Any]) -> None:
    """D16: the key policy had no conditions where the role's own policy had some."""
    found = _bedrock_role_key_statements(cfn)
    assert len(found) >= 5
    for statement in found:
        via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
        assert via, statement
        if "kms:CreateGrant" in actions(statement):
            assert statement["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


# --------------------------------------------------------------------------- functions


def test_functions_are_python313_arm64_traced_encrypted_with_the_layer(cfn: dict[str, Any]) -> None:
    for name in function_names(cfn):
        function = props(cfn, name)
        assert function["Runtime"] == "python3.13", name
        assert function["Architectures"] == ["arm64"], name
        assert function["Handler"] == "app.handler", name
        assert function["TracingConfig"] == {"Mode": "Active"}, name
        assert function["KmsKeyArn"] == KEY, name
        layers = [layer["Ref"] for layer in function["Layers"]]
        assert any(layer.startswith("CoreLayer") for layer in layers), name


def test_every_function_has_a_log_group_with_retention(cfn: dict[str, Any]) -> None:
    groups = {
        str(p["LogGroupName"].get("Fn::Sub")): p
        for p in (r["Properties"] for r in resources_of(cfn, "AWS::Logs::LogGroup").values())
    }
    for name in function_names(cfn):
        group = groups.get(f"/aws/lambda/${{{name}}}")
        assert group, f"{name} has no log group"
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def _async_functions(cfn: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for rule in resources_of(cfn, "AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            found.add(str(getatt_target(target["Arn"])))
    for subscription in resources_of(cfn, "AWS::SNS::Subscription").values():
        if subscription["Properties"]["Protocol"] == "lambda":
            found.add(str(getatt_target(subscription["Properties"]["Endpoint"])))
    for permission in resources_of(cfn, "AWS::Lambda::Permission").values():
        if permission["Properties"]["Principal"] in ASYNC_PRINCIPALS:
            found.add(str(getatt_target(permission["Properties"]["FunctionName"])))
    return found & set(function_names(cfn))


def test_every_async_function_has_an_on_failure_destination(cfn: dict[str, Any]) -> None:
    configured = {
        str(getatt_target(c["Properties"]["FunctionName"])): c["Properties"]
        for c in resources_of(cfn, "AWS::Lambda::EventInvokeConfig").values()
    }
    async_functions = _async_functions(cfn)
    assert async_functions == {
        "OnDatasetUploadedFunction",
        "OnJobStateChangeFunction",
        "ReconcileJobsFunction",
        "NotifySlackFunction",
    }
    for name in async_functions:
        assert name in configured, f"{name} is invoked asynchronously without an EventInvokeConfig"
        destination = (
            configured[name].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        )
        assert destination == {"Fn::GetAtt": ["FunctionFailureQueue", "Arn"]}, name


def test_every_rule_target_and_subscription_has_a_dead_letter_queue(cfn: dict[str, Any]) -> None:
    for name, rule in resources_of(cfn, "AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            assert target.get("DeadLetterConfig", {}).get("Arn") == {
                "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]
            }, f"{name}: a rule target without the dead-letter queue"
            assert "RetryPolicy" in target, name
    for name, subscription in resources_of(cfn, "AWS::SNS::Subscription").items():
        redrive = subscription["Properties"].get("RedrivePolicy", {})
        assert "deadLetterTargetArn" in redrive, f"{name}: a subscription without redrive"


def test_dataset_rule_matches_only_uploaded_jsonl(cfn: dict[str, Any]) -> None:
    pattern = props(cfn, "OnDatasetUploadedFunctionDatasetObjectCreated")["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "DataBucket"}]
    assert pattern["detail"]["object"]["key"] == [{"wildcard": "datasets/*.jsonl"}]
    bedrock = props(cfn, "OnJobStateChangeFunctionBedrockJobStateChange")["EventPattern"]
    assert bedrock["detail-type"] == ["Model Customization Job State Change"]


# --------------------------------------------------------------------------- data at rest


def test_kms_on_everything_that_stores_data(cfn: dict[str, Any]) -> None:
    for name in resources_of(cfn, "AWS::DynamoDB::Table"):
        sse = props(cfn, name).get("SSESpecification")
        assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}, name
    for name in resources_of(cfn, "AWS::SNS::Topic"):
        assert props(cfn, name).get("KmsMasterKeyId") == KEY, name
    for name in resources_of(cfn, "AWS::SQS::Queue"):
        assert props(cfn, name).get("KmsMasterKeyId") == KEY, name
    for name in resources_of(cfn, "AWS::Logs::LogGroup"):
        assert props(cfn, name).get("KmsKeyId") == KEY, name
    (rule,) = props(cfn, "DataBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": KEY,
    }
    assert rule["BucketKeyEnabled"] is True
    # The access-log bucket is the one exception: S3 server access logs cannot target SSE-KMS.
    assert set(resources_of(cfn, "AWS::S3::Bucket")) == {"DataBucket", "AccessLogBucket"}


def test_tables_have_point_in_time_recovery_and_the_contract_keys(cfn: dict[str, Any]) -> None:
    for name in resources_of(cfn, "AWS::DynamoDB::Table"):
        recovery = props(cfn, name).get("PointInTimeRecoverySpecification", {})
        assert recovery.get("PointInTimeRecoveryEnabled") is True, name
    state = props(cfn, "StateTable")
    assert state["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    indexes = {
        i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
        for i in state["GlobalSecondaryIndexes"]
    }
    assert indexes == {"GSI1": ["GSI1PK", "GSI1SK"], "GSI2": ["GSI2PK", "GSI2SK"]}
    assert state["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert cfn["Resources"]["StateTable"]["DeletionPolicy"] == "Retain"
    idempotency = props(cfn, "IdempotencyTable")
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


def test_data_bucket_is_hardened(cfn: dict[str, Any]) -> None:
    bucket = props(cfn, "DataBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Prefix") == "work/" and "ExpirationInDays" in r for r in rules)
    assert any("NoncurrentVersionExpiration" in r and "Prefix" not in r for r in rules)
    assert cfn["Resources"]["DataBucket"]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["DataBucket", "AccessLogBucket"])
def test_bucket_policy_denies_insecure_transport(cfn: dict[str, Any], bucket: str) -> None:
    (policy,) = [
        p["Properties"]
        for p in resources_of(cfn, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    denies = [
        s
        for s in statements(policy["PolicyDocument"])
        if s["Effect"] == "Deny"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and s["Principal"] == "*"
        and "s3:*" in actions(s)
    ]
    assert denies
    resources = as_list(denies[0]["Resource"])
    assert {"Fn::GetAtt": [bucket, "Arn"]} in resources
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in resources


# --------------------------------------------------------------------------- alarms


def test_alarms_on_function_errors_workflow_failures_and_dlq_depth(cfn: dict[str, Any]) -> None:
    for name in function_names(cfn):
        assert alarms_for(cfn, "AWS/Lambda", "Errors", {"Ref": name}), name
    machine = {"Ref": STATE_MACHINE}
    # Platform failures: the notify function's PipelineFailed count (business outcomes such as
    # invalid datasets also end in Fail states, and are told to people, not paged)
    env = next(iter(resources_of(cfn, "AWS::Lambda::Function").values()))["Properties"][
        "Environment"
    ]["Variables"]
    service, namespace = env["POWERTOOLS_SERVICE_NAME"], env["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarms_for(cfn, namespace, "PipelineFailed", service)
    assert alarms_for(cfn, "AWS/States", "ExecutionsTimedOut", machine)
    queues: set[str] = set()
    for rule in resources_of(cfn, "AWS::Events::Rule").values():
        queues |= {
            str(getatt_target(t["DeadLetterConfig"]["Arn"])) for t in rule["Properties"]["Targets"]
        }
    for config in resources_of(cfn, "AWS::Lambda::EventInvokeConfig").values():
        queues.add(
            str(
                getatt_target(config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
            )
        )
    for subscription in resources_of(cfn, "AWS::SNS::Subscription").values():
        queues.add(
            str(getatt_target(subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
        )
    assert queues == {"EventsDeadLetterQueue", "FunctionFailureQueue"}
    for queue in queues:
        dimension = {"Fn::GetAtt": [queue, "QueueName"]}
        assert alarms_for(cfn, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dimension), queue
    for name, alarm in resources_of(cfn, "AWS::CloudWatch::Alarm").items():
        assert TOPIC in alarm["Properties"]["AlarmActions"], name


# --------------------------------------------------------------------------- samconfig


@pytest.mark.parametrize("profile", ["default", "prod"])
def test_samconfig_profiles_override_only_template_parameters(
    sam: dict[str, Any], profile: str
) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    deploy = config[profile]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"  # the template names no IAM resource
    for pair in shlex.split(deploy["parameter_overrides"]):
        name, _, value = pair.partition("=")
        assert name in sam["Parameters"], (profile, name)
        allowed = sam["Parameters"][name].get("AllowedValues")
        if allowed:
            assert value in [str(v) for v in allowed], (profile, name, value)
