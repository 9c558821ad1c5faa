"""The local cloud's IAM evaluator: policies, wildcards, conditions, the (action, resource)
pairs each API call asks, the identities read from a template, and AWS's error shapes."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("moto", reason="the local cloud needs the 'local' extra")

from bedrock_tuner_localcloud.calls import Call
from bedrock_tuner_localcloud.deploy import Resource
from bedrock_tuner_localcloud.errors import LocalCloudError
from bedrock_tuner_localcloud.iam import (
    IamEnforcer,
    Principal,
    Request,
    denial_error,
    evaluate,
    iam_prefix,
    parse_policy,
    principals_from_template,
    requests_for,
    wildcard_match,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "data-bucket"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:bedrock-tuner-customization"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:topic"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/state"


class FakeWorld:
    """The deployed resources the ARNs are built from."""

    account = ACCOUNT

    def __init__(self, *, bucket_key: str | None = KEY, token_machine: str | None = MACHINE):
        self._bucket_key = bucket_key
        self._token_machine = token_machine

    def state_machine_of_token(self, token: str, region: str) -> str | None:
        return self._token_machine if token == "known-token" else None

    def bucket_key(self, bucket: str) -> str | None:
        return self._bucket_key if bucket == BUCKET else None

    def object_exists(self, bucket: str, key: str, version: str | None) -> bool | None:
        return None if bucket != BUCKET else not key.startswith("missing/")

    def topic_key(self, topic_arn: str) -> str | None:
        return KEY if topic_arn == TOPIC else None

    def queue_key(self, queue_arn: str) -> str | None:
        return None

    def secret_arn(self, secret_id: str, region: str) -> str | None:
        if secret_id == "slack":
            return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:slack-AbCdEf"
        return None

    def key_arn(self, key_id: str, region: str) -> str:
        return (
            key_id if key_id.startswith("arn:") else f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"
        )


def call(service: str, operation: str, **params: Any) -> Call:
    return Call("SomeFunction", service, operation, params, REGION)


def asked(
    service: str, operation: str, world: FakeWorld | None = None, **params: Any
) -> list[tuple[str, str]]:
    return [
        (r.action, r.resource)
        for r in requests_for(call(service, operation, **params), world or FakeWorld())
    ]


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, "test")


def allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# ----------------------------------------------------------------------------- wildcards
@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("arn:aws:s3:::b/datasets/*", "arn:aws:s3:::b/datasets/p/train.jsonl", True),
        ("arn:aws:s3:::b/datasets/*", "arn:aws:s3:::b/work/p/train.jsonl", False),
        ("arn:aws:s3:::b/datasets/*.report.json", "arn:aws:s3:::b/datasets/p/x.report.json", True),
        ("arn:aws:s3:::b/datasets/*.report.json", "arn:aws:s3:::b/datasets/p/x.jsonl", False),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/x", True),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", False),
        ("arn:aws:s3:::b.c", "arn:aws:s3:::bxc", False),  # . is literal, not a regex
        ("arn:aws:s3:::B", "arn:aws:s3:::b", False),  # resources are case-sensitive
    ],
)
def test_resources_match_with_iam_wildcards(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value) is expected


def test_actions_match_case_insensitively_and_with_wildcards() -> None:
    statements = policy(allow("S3:getobject", "*"), allow("dynamodb:Get*", "*"))
    assert evaluate(statements, Request("s3:GetObject", "arn:aws:s3:::b/k")).allowed
    assert evaluate(statements, Request("dynamodb:GetItem", TABLE)).allowed
    assert not evaluate(statements, Request("dynamodb:PutItem", TABLE)).allowed


# ----------------------------------------------------------------------------- evaluation
def test_nothing_is_allowed_without_a_statement() -> None:
    decision = evaluate(
        policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/datasets/*")),
        Request("s3:PutObject", f"arn:aws:s3:::{BUCKET}/datasets/x"),
    )
    assert not decision.allowed and not decision.explicit_deny


def test_an_explicit_deny_wins_over_an_allow() -> None:
    statements = policy(
        allow("s3:*", "*"),
        {
            "Effect": "Deny",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Sid": "NoDeletes",
        },
    )
    decision = evaluate(statements, Request("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/k"))
    assert not decision.allowed and decision.explicit_deny
    assert decision.statement is not None and decision.statement.sid == "NoDeletes"
    assert evaluate(statements, Request("s3:GetObject", f"arn:aws:s3:::{BUCKET}/k")).allowed


def test_not_action_and_not_resource() -> None:
    statements = policy(
        {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "NotResource": f"arn:aws:s3:::{BUCKET}/public/*",
        },
    )
    assert not evaluate(statements, Request("s3:DeleteObject", "arn:aws:s3:::x/k")).allowed
    assert evaluate(statements, Request("s3:GetObject", f"arn:aws:s3:::{BUCKET}/public/a")).allowed
    assert evaluate(
        statements, Request("s3:GetObject", f"arn:aws:s3:::{BUCKET}/secret/a")
    ).explicit_deny


# ----------------------------------------------------------------------------- conditions
LIST_OUTPUTS = allow(
    "s3:ListBucket",
    f"arn:aws:s3:::{BUCKET}",
    Condition={"StringLike": {"s3:prefix": ["outputs/*"]}},
)


def test_s3_prefix_condition_is_evaluated() -> None:
    statements = policy(LIST_OUTPUTS)
    [inside] = requests_for(
        call("s3", "ListObjectsV2", Bucket=BUCKET, Prefix="outputs/p/"), FakeWorld()
    )
    [outside] = requests_for(
        call("s3", "ListObjectsV2", Bucket=BUCKET, Prefix="datasets/"), FakeWorld()
    )
    [no_prefix] = requests_for(call("s3", "ListObjectsV2", Bucket=BUCKET), FakeWorld())
    assert evaluate(statements, inside).allowed
    assert not evaluate(statements, outside).allowed
    assert not evaluate(statements, no_prefix).allowed  # the key is absent: StringLike fails


def test_pass_role_condition_is_evaluated() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/bedrock"
    statements = policy(
        allow(
            "iam:PassRole",
            role,
            Condition={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        )
    )
    to_bedrock = Request("iam:PassRole", role, {"iam:PassedToService": ("bedrock.amazonaws.com",)})
    to_ec2 = Request("iam:PassRole", role, {"iam:PassedToService": ("ec2.amazonaws.com",)})
    assert evaluate(statements, to_bedrock).allowed
    assert not evaluate(statements, to_ec2).allowed


def test_if_exists_null_and_negated_operators() -> None:
    absent = Request("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": None})
    present = Request("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": ("logs/",)})
    if_exists = policy(
        allow("s3:ListBucket", "*", Condition={"StringLikeIfExists": {"s3:prefix": "data/*"}})
    )
    assert evaluate(if_exists, absent).allowed
    assert not evaluate(if_exists, present).allowed
    null = policy(allow("s3:ListBucket", "*", Condition={"Null": {"s3:prefix": "true"}}))
    assert evaluate(null, absent).allowed and not evaluate(null, present).allowed
    not_like = policy(
        allow("s3:ListBucket", "*", Condition={"StringNotLike": {"s3:prefix": "data/*"}})
    )
    assert evaluate(not_like, present).allowed


def test_unmodelled_condition_keys_are_assumed_satisfied_by_allow_but_not_by_deny() -> None:
    statements = policy(
        allow("s3:GetObject", "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "ml"}}),
        {
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    decision = evaluate(statements, Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert decision.allowed
    assert decision.assumed == ("StringEquals:aws:PrincipalTag/team",)


def test_trust_policy_checks_the_service_and_its_conditions() -> None:
    trust = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "bedrock.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ACCOUNT},
                        "ArnLike": {
                            "aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/*"
                        },
                    },
                }
            ]
        }
    )
    role = Principal("r", f"arn:aws:iam::{ACCOUNT}:role/r", (), trust)
    good = {
        "aws:SourceAccount": (ACCOUNT,),
        "aws:SourceArn": (f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/m/abc",),
    }
    assert role.trusts("bedrock.amazonaws.com", good)
    assert not role.trusts(
        "bedrock.amazonaws.com", {**good, "aws:SourceAccount": ("999999999999",)}
    )
    assert not role.trusts("lambda.amazonaws.com", good)


# ----------------------------------------------------------------------------- S3 requests
def test_s3_reads_head_and_versions() -> None:
    obj = f"arn:aws:s3:::{BUCKET}/datasets/p/t.jsonl"
    assert asked("s3", "HeadObject", Bucket=BUCKET, Key="datasets/p/t.jsonl") == [
        ("s3:GetObject", obj)
    ]
    assert asked("s3", "HeadObject", Bucket=BUCKET, Key="datasets/p/t.jsonl", VersionId="v1") == [
        ("s3:GetObjectVersion", obj)
    ]
    # a read of an SSE-KMS object also decrypts with the bucket's key
    assert asked("s3", "GetObject", Bucket=BUCKET, Key="datasets/p/t.jsonl", VersionId="v1") == [
        ("s3:GetObjectVersion", obj),
        ("kms:Decrypt", KEY),
    ]
    assert asked("s3", "GetObject", FakeWorld(bucket_key=None), Bucket=BUCKET, Key="k") == [
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/k")
    ]


def test_a_missing_object_needs_list_bucket_to_be_a_404() -> None:
    assert asked("s3", "HeadObject", Bucket=BUCKET, Key="missing/spec.yml") == [
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/missing/spec.yml"),
        ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
    ]
    reader = policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"))
    lister = policy(
        allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"),
        allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
    )
    requests = requests_for(
        call("s3", "GetObject", Bucket=BUCKET, Key="missing/spec.yml"), FakeWorld()
    )
    assert not all(evaluate(reader, r).allowed for r in requests)  # 403 on AWS
    assert all(evaluate(lister, r).allowed for r in requests)  # 404 on AWS


def test_s3_writes_lists_copies_and_multipart() -> None:
    assert asked("s3", "PutObject", Bucket=BUCKET, Key="work/x") == [
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/work/x"),
        ("kms:GenerateDataKey", KEY),
    ]
    assert asked("s3", "ListObjectsV2", Bucket=BUCKET, Prefix="pipelines/") == [
        ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")
    ]
    assert asked("s3", "ListObjectVersions", Bucket=BUCKET) == [
        ("s3:ListBucketVersions", f"arn:aws:s3:::{BUCKET}")
    ]
    assert asked(
        "s3",
        "CopyObject",
        Bucket=BUCKET,
        Key="work/p/train.jsonl",
        CopySource={"Bucket": BUCKET, "Key": "datasets/p/t.jsonl", "VersionId": "v1"},
    ) == [
        ("s3:GetObjectVersion", f"arn:aws:s3:::{BUCKET}/datasets/p/t.jsonl"),
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/work/p/train.jsonl"),
        ("kms:Decrypt", KEY),
        ("kms:GenerateDataKey", KEY),
    ]
    assert asked(
        "s3",
        "UploadPartCopy",
        FakeWorld(bucket_key=None),
        Bucket=BUCKET,
        Key="w",
        CopySource=f"{BUCKET}/d/a%20b?versionId=v2",
        PartNumber=1,
        UploadId="u",
    ) == [
        ("s3:GetObjectVersion", f"arn:aws:s3:::{BUCKET}/d/a b"),
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/w"),
    ]
    assert asked("s3", "CreateMultipartUpload", Bucket=BUCKET, Key="w") == [
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/w"),
        ("kms:GenerateDataKey", KEY),
        ("kms:Decrypt", KEY),
    ]
    assert asked("s3", "UploadPart", Bucket=BUCKET, Key="w", PartNumber=1, UploadId="u") == [
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/w")
    ]
    assert asked(
        "s3",
        "DeleteObjects",
        Bucket=BUCKET,
        Delete={"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}]},
    ) == [
        ("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/a"),
        ("s3:DeleteObjectVersion", f"arn:aws:s3:::{BUCKET}/b"),
    ]


# ----------------------------------------------------------------------------- other services
def test_dynamodb_tables_indexes_and_transactions() -> None:
    assert asked("dynamodb", "UpdateItem", TableName="state", Key={}) == [
        ("dynamodb:UpdateItem", TABLE)
    ]
    assert asked("dynamodb", "Query", TableName="state", IndexName="GSI2") == [
        ("dynamodb:Query", f"{TABLE}/index/GSI2")
    ]
    assert asked("dynamodb", "Query", TableName=TABLE) == [("dynamodb:Query", TABLE)]
    assert asked(
        "dynamodb",
        "TransactWriteItems",
        TransactItems=[
            {"Put": {"TableName": "state"}},
            {"ConditionCheck": {"TableName": "state"}},
            {"Update": {"TableName": "state"}},
        ],
    ) == [
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:ConditionCheckItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
    ]


def test_step_functions_task_tokens_are_authorized_on_their_state_machine() -> None:
    assert iam_prefix("stepfunctions") == "states"
    assert asked("stepfunctions", "SendTaskSuccess", taskToken="known-token", output="{}") == [
        ("states:SendTaskSuccess", MACHINE)
    ]
    # an unknown token is left to the service (InvalidToken), not turned into AccessDenied
    assert asked("stepfunctions", "SendTaskFailure", taskToken="stale") == []
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:bedrock-tuner-customization:run"
    assert asked("stepfunctions", "DescribeExecution", executionArn=execution) == [
        ("states:DescribeExecution", execution)
    ]
    assert asked("stepfunctions", "StartExecution", stateMachineArn=MACHINE) == [
        ("states:StartExecution", MACHINE)
    ]


def test_sns_publish_needs_the_topic_and_its_key() -> None:
    assert asked("sns", "Publish", TopicArn=TOPIC, Message="m") == [
        ("sns:Publish", TOPIC),
        ("kms:GenerateDataKey", KEY),
        ("kms:Decrypt", KEY),
    ]
    assert asked("sns", "Subscribe", TopicArn=TOPIC, Protocol="email") == [("sns:Subscribe", TOPIC)]


def test_bedrock_create_job_asks_for_the_models_the_job_the_role_tags_and_key() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/bedrock"
    requests = requests_for(
        call(
            "bedrock",
            "CreateModelCustomizationJob",
            jobName="p-r1",
            customModelName="p-1",
            roleArn=role,
            baseModelIdentifier="amazon.nova-lite-v1:0:300k",
            jobTags=[{"key": "a", "value": "b"}],
            customModelKmsKeyId=KEY,
        ),
        FakeWorld(),
    )
    pairs = [(r.action, r.resource) for r in requests]
    assert pairs == [
        (
            "bedrock:CreateModelCustomizationJob",
            f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-lite-v1:0:300k",
        ),
        (
            "bedrock:CreateModelCustomizationJob",
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/p-1",
        ),
        (
            "bedrock:CreateModelCustomizationJob",
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/p-r1",
        ),
        ("iam:PassRole", role),
        ("bedrock:TagResource", f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/p-r1"),
        ("kms:DescribeKey", KEY),
        ("kms:GenerateDataKey", KEY),
        ("kms:Decrypt", KEY),
        ("kms:CreateGrant", KEY),
    ]
    grant = requests[-1]
    assert grant.context["kms:ViaService"] == (f"bedrock.{REGION}.amazonaws.com",)
    assert grant.context["kms:GrantIsForAWSResource"] == ("true",)


def test_lambda_secrets_and_parameters() -> None:
    assert asked("lambda", "Invoke", FunctionName="grader") == [
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:grader")
    ]
    assert asked("lambda", "Invoke", FunctionName="grader", Qualifier="live") == [
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:grader:live")
    ]
    assert asked("secretsmanager", "GetSecretValue", SecretId="slack") == [
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:slack-AbCdEf",
        )
    ]
    assert asked("ssm", "PutParameter", Name="/bedrock-tuner/f/alias", Value="v") == [
        ("ssm:PutParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/bedrock-tuner/f/alias")
    ]


def test_an_unmapped_service_is_asked_on_star_so_arn_scoped_policies_deny_it() -> None:
    assert asked("cloudwatch", "PutMetricData", Namespace="x") == [
        ("cloudwatch:PutMetricData", "*")
    ]


# ----------------------------------------------------------------------------- errors
def test_denials_carry_the_code_and_message_aws_uses() -> None:
    who = f"arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/fn"
    s3 = denial_error(
        call("s3", "GetObject"),
        who,
        Request("s3:GetObject", "arn:aws:s3:::b/k"),
        evaluate((), Request("s3:GetObject", "arn:aws:s3:::b/k")),
    )
    assert s3.response["Error"]["Code"] == "AccessDenied"  # type: ignore[attr-defined]
    assert s3.response["Error"]["Message"] == (  # type: ignore[attr-defined]
        f'User: {who} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" '
        "because no identity-based policy allows the s3:GetObject action"
    )
    ddb_request = Request("dynamodb:PutItem", TABLE)
    ddb = denial_error(call("dynamodb", "PutItem"), who, ddb_request, evaluate((), ddb_request))
    assert ddb.response["Error"]["Code"] == "AccessDeniedException"  # type: ignore[attr-defined]
    assert f"perform: dynamodb:PutItem on resource: {TABLE} because" in str(ddb)
    deny = policy({"Effect": "Deny", "Action": "sns:Publish", "Resource": "*"})
    sns_request = Request("sns:Publish", TOPIC)
    sns = denial_error(call("sns", "Publish"), who, sns_request, evaluate(deny, sns_request))
    assert sns.response["Error"]["Code"] == "AuthorizationError"  # type: ignore[attr-defined]
    assert "SNS:Publish" in str(sns) and "with an explicit deny in an identity-based policy" in str(
        sns
    )


# ----------------------------------------------------------------------------- identities
def _template() -> dict[str, Any]:
    return {
        "Parameters": {"Graders": {"Type": "CommaDelimitedList", "Default": ""}},
        "Conditions": {
            "HasGraders": {
                "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Graders"}]}, ""]}]
            }
        },
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Role": {"Fn::GetAtt": ["FnRole", "Arn"]}},
            },
            "FnRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ]
                    },
                    "ManagedPolicyArns": [
                        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                    ],
                    "Policies": [
                        {
                            "PolicyName": "inline",
                            "PolicyDocument": {
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "s3:GetObject",
                                        "Resource": {"Fn::Sub": "${Bucket.Arn}/datasets/*"},
                                    }
                                ]
                            },
                        }
                    ],
                },
            },
            "ServiceRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Statement": []}},
            },
            "ServiceRolePolicy": {
                "Type": "AWS::IAM::RolePolicy",
                "Properties": {
                    "RoleName": {"Ref": "ServiceRole"},
                    "PolicyName": "extra",
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Fn::If": [
                                    "HasGraders",
                                    {
                                        "Effect": "Allow",
                                        "Action": "lambda:InvokeFunction",
                                        "Resource": {"Ref": "Graders"},
                                    },
                                    {"Ref": "AWS::NoValue"},
                                ]
                            },
                            {
                                "Effect": "Allow",
                                "Action": "s3:PutObject",
                                "Resource": {
                                    "Fn::Join": [
                                        "",
                                        [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/outputs/*"],
                                    ]
                                },
                            },
                        ]
                    },
                },
            },
        },
    }


RESOURCES = {
    "Bucket": Resource("Bucket", "AWS::S3::Bucket", BUCKET, f"arn:aws:s3:::{BUCKET}"),
    "Fn": Resource(
        "Fn",
        "AWS::Lambda::Function",
        "stack-Fn-1",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:stack-Fn-1",
    ),
    "FnRole": Resource(
        "FnRole", "AWS::IAM::Role", "stack-FnRole-1", f"arn:aws:iam::{ACCOUNT}:role/stack-FnRole-1"
    ),
    "ServiceRole": Resource(
        "ServiceRole",
        "AWS::IAM::Role",
        "stack-ServiceRole-1",
        f"arn:aws:iam::{ACCOUNT}:role/stack-ServiceRole-1",
    ),
}


def test_identities_come_from_the_template_with_intrinsics_resolved() -> None:
    grader = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:grader"
    functions, roles = principals_from_template(
        _template(),
        parameters={"Graders": grader},
        resources=RESOURCES,
        region=REGION,
        account=ACCOUNT,
    )
    principal, session = functions["Fn"]
    assert session == "stack-Fn-1"
    assert (
        principal.session_arn(session)
        == f"arn:aws:sts::{ACCOUNT}:assumed-role/stack-FnRole-1/stack-Fn-1"
    )
    assert principal.allows("s3:GetObject", f"arn:aws:s3:::{BUCKET}/datasets/p/t.jsonl")
    assert not principal.allows("s3:GetObject", f"arn:aws:s3:::{BUCKET}/work/x")
    assert principal.allows("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:x")  # managed
    service = roles[RESOURCES["ServiceRole"].arn or ""]
    assert service.allows("lambda:InvokeFunction", grader)
    assert service.allows("s3:PutObject", f"arn:aws:s3:::{BUCKET}/outputs/job/x")
    _, without = principals_from_template(
        _template(), parameters={}, resources=RESOURCES, region=REGION, account=ACCOUNT
    )
    assert not without[RESOURCES["ServiceRole"].arn or ""].allows("lambda:InvokeFunction", grader)


def test_a_role_the_template_does_not_define_is_refused_by_name() -> None:
    template = _template()
    template["Resources"]["Fn"]["Properties"]["Role"] = f"arn:aws:iam::{ACCOUNT}:role/elsewhere"
    with pytest.raises(LocalCloudError, match="role/elsewhere is not a role of the template"):
        principals_from_template(
            template, parameters={}, resources=RESOURCES, region=REGION, account=ACCOUNT
        )


def test_the_enforcer_fails_a_call_the_role_does_not_allow_and_records_it() -> None:
    functions, roles = principals_from_template(
        _template(), parameters={}, resources=RESOURCES, region=REGION, account=ACCOUNT
    )
    enforcer = IamEnforcer(functions, roles, FakeWorld(bucket_key=None))
    enforcer.check(Call("Fn", "s3", "GetObject", {"Bucket": BUCKET, "Key": "datasets/a"}, REGION))
    enforcer.check(Call("NotOfTheStack", "s3", "DeleteBucket", {"Bucket": BUCKET}, REGION))
    with pytest.raises(Exception, match="not authorized to perform: s3:PutObject") as caught:
        enforcer.check(
            Call("Fn", "s3", "PutObject", {"Bucket": BUCKET, "Key": "datasets/a"}, REGION)
        )
    assert caught.value.response["Error"]["Code"] == "AccessDenied"  # type: ignore[attr-defined]
    [denial] = enforcer.take_denials()
    assert (denial.function, denial.action, denial.resource) == (
        "Fn",
        "s3:PutObject",
        f"arn:aws:s3:::{BUCKET}/datasets/a",
    )
    assert enforcer.take_denials() == []
