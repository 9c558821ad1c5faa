"""The hybrid deployer: ``template.yaml`` → SAM translator (offline) → moto CloudFormation
``create_stack`` → plain boto3 calls for what moto's CloudFormation skips.

One source of truth: every resource comes from the template; the deployer only knows resource
*types*. Steps:

1. Load, package local code (:mod:`.template`), translate SAM → CloudFormation.
2. Rewrite what moto's CloudFormation gets wrong (:func:`prepare`): KMS ``KeyPolicy`` as a
   JSON string, DynamoDB ``SSEEnabled``, state machine ``DefinitionSubstitutions`` as an
   ``Fn::Sub`` over the definition, ``GetAtt``s moto rejects that equal the ``Ref``, layers
   published up front (moto's ``Ref`` of a layer is a Python repr). Types moto has no model for
   leave the stack and are created afterwards; their properties, and the properties moto drops
   on the types it does create, travel as synthetic stack Outputs (``Fn::ToJsonString``), so
   moto resolves their intrinsics and nothing is resolved twice.
3. ``create_stack``; then apply those Outputs with boto3 (``_apply_*``).

Strict: a resource type with neither a moto model nor an ``_apply_*`` handler fails the
deploy, naming it. Local-only relaxations (bucket-policy ``Deny`` statements with a
``Condition``, which moto enforces without evaluating the condition) are listed in
:attr:`Deployment.relaxations`.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedrock_tuner_localcloud.errors import LocalCloudError, UnsupportedResourceError
from bedrock_tuner_localcloud.resolve import StaticResolver
from bedrock_tuner_localcloud.template import (
    SamFunction,
    Template,
    load_yaml,
    package,
    serverless_functions,
    translate,
)

LOG = logging.getLogger("bedrock_tuner_localcloud")

ARTIFACT_BUCKET = "local-cloud-artifacts"
_PATCH_OUTPUT = "ZzLocalCloudPatch"

# No moto CloudFormation model: taken out of the stack, created by Deployer._apply_<Type>.
PATCH_ONLY = frozenset(
    {
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::CloudWatch::Alarm",
        "AWS::Logs::MetricFilter",
        "AWS::IAM::RolePolicy",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
    }
)
# Created by moto, which silently drops these properties: re-applied with boto3.
PARTIAL: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": (
        "VersioningConfiguration",
        "PublicAccessBlockConfiguration",
        "OwnershipControls",
        "NotificationConfiguration",
        "LifecycleConfiguration",
        "BucketEncryption",
        "CorsConfiguration",
    ),
    "AWS::DynamoDB::Table": ("PointInTimeRecoverySpecification", "TimeToLiveSpecification"),
    "AWS::Lambda::Function": ("Layers", "Tags"),
}
# Valid CloudFormation attributes moto's models reject, each equal to the resource's Ref.
_GETATT_AS_REF = frozenset(
    {
        ("AWS::StepFunctions::StateMachine", "Arn"),
        ("AWS::SNS::Topic", "TopicArn"),
        ("AWS::SQS::Queue", "QueueUrl"),
        ("AWS::KMS::Key", "KeyId"),
        ("AWS::ApiGateway::RestApi", "RestApiId"),
    }
)
_LAYER = "AWS::Lambda::LayerVersion"


@dataclass(frozen=True)
class Resource:
    """One deployed resource: its CloudFormation type, physical ID and (when it has one) ARN."""

    logical_id: str
    type: str
    physical_id: str
    arn: str | None = None


@dataclass
class Deployment:
    """What a deploy made, for the bridge, the demo and the tests."""

    stack_name: str
    template_path: Path
    parameters: dict[str, str]
    sam: Template
    cfn: Template
    outputs: dict[str, str]
    resources: dict[str, Resource]
    functions: dict[str, SamFunction]
    applied: list[str] = field(default_factory=list)
    relaxations: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def physical_id(self, logical_id: str) -> str:
        return self._get(logical_id).physical_id

    def arn(self, logical_id: str) -> str:
        res = self._get(logical_id)
        if res.arn is None:
            raise LocalCloudError(f"{logical_id} ({res.type}) has no ARN")
        return res.arn

    def of_type(self, rtype: str) -> dict[str, Resource]:
        return {lid: r for lid, r in self.resources.items() if r.type == rtype}

    def _get(self, logical_id: str) -> Resource:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise LocalCloudError(
                f"{logical_id} is not in the deployed stack (deployed: "
                f"{', '.join(sorted(self.resources))})"
            ) from None


def _walk(value: Any, fn: Callable[[Any], Any]) -> Any:
    """Post-order transform of a JSON-like tree."""
    if isinstance(value, dict):
        value = {k: _walk(v, fn) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_walk(v, fn) for v in value]
    return fn(value)


def _getatt_parts(value: Any) -> list[str]:
    parts = value.split(".", 1) if isinstance(value, str) else list(value)
    return [str(p) for p in parts]


@dataclass
class _Plan:
    template: Template
    layers: list[tuple[str, str, dict[str, Any]]]  # (logical id, layer name, props)
    patches: list[tuple[str, str, str]]  # (output key, logical id, type)
    removed: set[str]


def prepare(cfn: Template, stack: str, resolver: StaticResolver, *, strict: bool = True) -> _Plan:
    """Rewrite a translated template for moto (see the module docstring)."""
    from moto.cloudformation.parsing import get_model_map

    template = copy.deepcopy(cfn)
    resources: dict[str, Any] = template["Resources"]
    known = set(get_model_map())
    unknown = sorted(
        {
            r["Type"]
            for r in resources.values()
            if r["Type"] not in known | PATCH_ONLY and not r["Type"].startswith("Custom::")
        }
    )
    if unknown and strict:
        raise UnsupportedResourceError(
            "the local cloud cannot create these resource types (no moto model and no "
            f"deployer handler): {', '.join(unknown)}. Add an _apply_* handler in "
            "bedrock_tuner_localcloud/deploy.py."
        )
    types = {lid: r["Type"] for lid, r in resources.items()}
    removed = {lid for lid, t in types.items() if t in PATCH_ONLY or t == _LAYER}

    def fix_getatt(node: Any) -> Any:
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            lid, attr = _getatt_parts(node["Fn::GetAtt"])
            if (types.get(lid), attr) in _GETATT_AS_REF:
                return {"Ref": lid}
        if isinstance(node, dict) and isinstance(node.get("Fn::Sub"), str | list):

            def sub(match: re.Match[str]) -> str:
                lid, attr = match.group(1), match.group(2)
                return f"${{{lid}}}" if (types.get(lid), attr) in _GETATT_AS_REF else match.group(0)

            rx = r"\$\{([A-Za-z0-9]+)\.([A-Za-z]+)\}"
            if isinstance(node["Fn::Sub"], str):
                node["Fn::Sub"] = re.sub(rx, sub, node["Fn::Sub"])
            else:
                node["Fn::Sub"][0] = re.sub(rx, sub, node["Fn::Sub"][0])
        return node

    template = _walk(template, fix_getatt)
    resources = template["Resources"]
    layers: list[tuple[str, str, dict[str, Any]]] = []
    for lid, res in list(resources.items()):
        props = res.setdefault("Properties", {})
        rtype = res["Type"]
        if rtype == "AWS::KMS::Key" and isinstance(props.get("KeyPolicy"), dict):
            # moto stores the dict; every KMS call on the key then fails (json.loads(dict)).
            props["KeyPolicy"] = {"Fn::ToJsonString": props["KeyPolicy"]}
        elif rtype == "AWS::DynamoDB::Table" and "SSESpecification" in props:
            sse = dict(props["SSESpecification"])
            sse["Enabled"] = sse.pop("SSEEnabled", False)  # moto reads the API name
            props["SSESpecification"] = sse
        elif rtype == "AWS::Logs::LogGroup" and "KmsKeyId" in props:
            props["kmsKeyId"] = props.pop("KmsKeyId")  # moto reads the API casing
        elif rtype == "AWS::StepFunctions::StateMachine":
            _prepare_state_machine(lid, props)
        elif rtype == _LAYER:
            if res.get("Condition") and not resolver.condition(res["Condition"]):
                continue
            name = resolver.resolve(props.get("LayerName", f"{stack}-{lid}"))
            layers.append((lid, str(name), resolver.resolve(props)))

    def placeholders(value: Any) -> Any:
        # Refs to resources created outside moto's stack: filled in after they exist.
        def fn(node: Any) -> Any:
            if (
                isinstance(node, dict)
                and node.get("Ref") in removed
                and types[node["Ref"]] != _LAYER
            ):
                return f"@@REF:{node['Ref']}@@"
            if isinstance(node, dict) and "Fn::GetAtt" in node:
                lid, attr = _getatt_parts(node["Fn::GetAtt"])
                if lid in removed:
                    return f"@@GETATT:{lid}.{attr}@@"
            return node

        return _walk(value, fn)

    outputs: dict[str, Any] = template.setdefault("Outputs", {})
    for key, out in list(outputs.items()):
        outputs[key] = placeholders(out)
    patches: list[tuple[str, str, str]] = []
    for lid, res in resources.items():
        rtype = res["Type"]
        props = res.get("Properties", {})
        if rtype in PATCH_ONLY:
            payload: dict[str, Any] = {"props": placeholders(props)}
        elif rtype in PARTIAL and any(k in props for k in PARTIAL[rtype]):
            payload = {
                "ref": {"Ref": lid},
                "props": {k: props[k] for k in PARTIAL[rtype] if k in props},
            }
        else:
            continue
        key = f"{_PATCH_OUTPUT}{len(patches)}"
        output: dict[str, Any] = {"Value": {"Fn::ToJsonString": payload}}
        if res.get("Condition"):
            output["Condition"] = res["Condition"]
        outputs[key] = output
        patches.append((key, lid, rtype))
    for lid in removed:
        del resources[lid]
    for res in resources.values():
        depends = res.get("DependsOn")
        if isinstance(depends, str):
            depends = [depends]
        if depends:
            kept = [d for d in depends if d not in removed]
            if kept:
                res["DependsOn"] = kept
            else:
                res.pop("DependsOn")
    leftover = json.dumps(template["Resources"])
    for lid in removed:
        if types[lid] == _LAYER:
            continue
        if re.search(rf'"Ref": "{lid}"|"Fn::GetAtt": \["{lid}"|\$\{{{lid}[.}}]', leftover):
            raise UnsupportedResourceError(
                f"{lid} ({types[lid]}) is created after the stack but another resource refers to it"
            )
    return _Plan(template, layers, patches, removed)


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def _prepare_state_machine(lid: str, props: dict[str, Any]) -> None:
    """moto ignores DefinitionSubstitutions (and Definition objects). Split the definition at
    each ``${Key}`` and join the literal text with the substitution values (``Fn::Join``
    resolves them). Not ``Fn::Sub``: moto implements it with ``string.Template``, which turns
    ASL's ``$$.Task.Token`` into ``$.Task.Token``."""
    if "Definition" in props and "DefinitionString" not in props:
        props["DefinitionString"] = json.dumps(props.pop("Definition"), indent=2)
    definition = props.get("DefinitionString")
    if isinstance(definition, dict) and "Fn::Join" in definition:
        sep, lines = definition["Fn::Join"]
        if not all(isinstance(line, str) for line in lines):
            raise UnsupportedResourceError(f"{lid}: DefinitionString with intrinsics inside")
        definition = str(sep).join(lines)
    if not isinstance(definition, str):
        raise UnsupportedResourceError(f"{lid}: DefinitionString must be literal text")
    subs: dict[str, Any] = props.pop("DefinitionSubstitutions", None) or {}
    parts: list[Any] = []
    position = 0
    for match in _PLACEHOLDER.finditer(definition):
        if match.group(1) in subs:  # other ${...} stay as written, as in AWS
            parts += [definition[position : match.start()], subs[match.group(1)]]
            position = match.end()
    parts.append(definition[position:])
    props["DefinitionString"] = {"Fn::Join": ["", parts]} if len(parts) > 1 else definition


class Deployer:
    """Deploy a SAM template with ``client(service)`` (boto3 clients on the moto endpoint)."""

    def __init__(self, client: Callable[[str], Any], region: str) -> None:
        self.client = client
        self.region = region
        self._created: dict[str, Resource] = {}
        self._relaxations: list[str] = []

    def deploy(
        self, template_path: Path, stack: str, parameters: dict[str, str], *, strict: bool = True
    ) -> Deployment:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        template_path = template_path.resolve()
        base = template_path.parent
        sam = load_yaml(template_path)
        known = set((sam.get("Parameters") or {}).keys())
        params = {k: v for k, v in parameters.items() if k in known}
        functions = serverless_functions(sam, base)
        packaged, artifacts = package(sam, base, ARTIFACT_BUCKET)
        cfn = translate(packaged, params) if "Transform" in sam else packaged
        timings["translate"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        account = self.client("sts").get_caller_identity()["Account"]
        pseudo = {
            "AWS::StackName": stack,
            "AWS::Region": self.region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        plan = prepare(cfn, stack, StaticResolver(cfn, params, pseudo), strict=strict)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        for key, data in artifacts.items():
            s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=data)
        body = json.dumps(plan.template)
        for lid, name, props in plan.layers:
            arn = self._publish_layer(lid, name, props)
            body = body.replace(json.dumps({"Ref": lid}), json.dumps(arn))
        timings["upload"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        cf = self.client("cloudformation")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cf.create_stack(
                StackName=stack,
                TemplateBody=body,
                Parameters=[
                    {"ParameterKey": k, "ParameterValue": str(v)} for k, v in params.items()
                ],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        stack_desc = cf.describe_stacks(StackName=stack)["Stacks"][0]
        raw_outputs = {o["OutputKey"]: o["OutputValue"] for o in stack_desc.get("Outputs", [])}
        timings["create_stack"] = time.perf_counter() - t2

        t3 = time.perf_counter()
        applied: list[str] = []
        # (a stage names its deployment: deployments first, the rest in template order)
        ordered = sorted(plan.patches, key=lambda patch: patch[2] != "AWS::ApiGateway::Deployment")
        for key, lid, rtype in ordered:
            if key not in raw_outputs:  # the resource's Condition is false
                continue
            payload = json.loads(self._fill(raw_outputs[key]))
            handler = getattr(self, "_apply_" + rtype.removeprefix("AWS::").replace("::", "_"))
            handler(stack, lid, payload)
            applied.append(f"{rtype} {lid}")
        resources = self._resources(stack, cfn)
        timings["patch"] = time.perf_counter() - t3
        outputs = {
            k: self._fill(v) for k, v in raw_outputs.items() if not k.startswith(_PATCH_OUTPUT)
        }
        return Deployment(
            stack_name=stack,
            template_path=template_path,
            parameters=params,
            sam=sam,
            cfn=cfn,
            outputs=outputs,
            resources=resources,
            functions=functions,
            applied=applied,
            relaxations=list(self._relaxations),
            timings=timings,
        )

    # ------------------------------------------------------------------ resource map
    def _resources(self, stack: str, cfn: Template) -> dict[str, Resource]:
        out: dict[str, Resource] = dict(self._created)
        paginator = self.client("cloudformation").get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=stack):
            for item in page["StackResourceSummaries"]:
                lid = item.get("LogicalResourceId")
                if not lid or lid in out:
                    continue
                rtype = item["ResourceType"]
                physical = item.get("PhysicalResourceId") or ""
                out[lid] = Resource(lid, rtype, physical, self._arn_of(rtype, physical))
        # SAM gives layers a hashed logical ID (CoreLayer → CoreLayer1a2b3c…): keep both.
        for lid, res in list(out.items()):
            if res.type == _LAYER:
                match = re.fullmatch(r"(.+?)[0-9a-f]{10}", lid)
                if match:
                    out.setdefault(
                        match.group(1), Resource(match.group(1), res.type, res.physical_id, res.arn)
                    )
        return out

    def _arn_of(self, rtype: str, physical: str) -> str | None:
        if not physical:
            return None
        try:
            if rtype == "AWS::S3::Bucket":
                return f"arn:aws:s3:::{physical}"
            if rtype in ("AWS::SNS::Topic", "AWS::StepFunctions::StateMachine", _LAYER):
                return physical
            if rtype == "AWS::DynamoDB::Table":
                return str(
                    self.client("dynamodb").describe_table(TableName=physical)["Table"]["TableArn"]
                )
            if rtype == "AWS::SQS::Queue":
                attrs = self.client("sqs").get_queue_attributes(
                    QueueUrl=physical, AttributeNames=["QueueArn"]
                )
                return str(attrs["Attributes"]["QueueArn"])
            if rtype == "AWS::Lambda::Function":
                return str(
                    self.client("lambda").get_function(FunctionName=physical)["Configuration"][
                        "FunctionArn"
                    ]
                )
            if rtype == "AWS::IAM::Role":
                return str(self.client("iam").get_role(RoleName=physical)["Role"]["Arn"])
            if rtype == "AWS::KMS::Key":
                return str(self.client("kms").describe_key(KeyId=physical)["KeyMetadata"]["Arn"])
            if rtype == "AWS::Events::Rule":
                name = physical.rsplit("|", maxsplit=1)[-1].rsplit("/", maxsplit=1)[-1]
                return str(self.client("events").describe_rule(Name=name)["Arn"])
            if rtype == "AWS::Logs::LogGroup":
                account = self.client("sts").get_caller_identity()["Account"]
                return f"arn:aws:logs:{self.region}:{account}:log-group:{physical}"
        except Exception:
            LOG.debug("no ARN for %s %s", rtype, physical, exc_info=True)
        return None

    def _fill(self, text: str) -> str:
        def sub(match: re.Match[str]) -> str:
            lid = match.group(1)
            if lid not in self._created:
                raise LocalCloudError(f"{lid} is referenced before it was created")
            res = self._created[lid]
            return (res.arn or res.physical_id) if match.group(2) else res.physical_id

        return re.sub(r"@@(?:REF|GETATT):([A-Za-z0-9]+)(\.[A-Za-z.]+)?@@", sub, text)

    # ------------------------------------------------------------------ before the stack
    def _publish_layer(self, lid: str, name: str, props: dict[str, Any]) -> str:
        content = props["Content"]
        kwargs = {
            k: props[k]
            for k in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo")
            if k in props
        }
        result = self.client("lambda").publish_layer_version(
            LayerName=name, Content=content, **kwargs
        )
        arn = str(result["LayerVersionArn"])
        self._created[lid] = Resource(lid, _LAYER, arn, arn)
        return arn

    # ------------------------------------------------------------------ types moto skips
    def _apply_S3_BucketPolicy(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        doc = copy.deepcopy(props["PolicyDocument"])
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        # moto enforces bucket policies on object calls but ignores Condition blocks, so the
        # usual "Deny s3:* unless aws:SecureTransport" would deny every request.
        kept = [s for s in statements if not (s.get("Effect") == "Deny" and "Condition" in s)]
        for dropped in statements:
            if dropped not in kept:
                self._relaxations.append(
                    f"{lid}: Deny statement {dropped.get('Sid', '(no Sid)')} not applied "
                    "(moto cannot evaluate its Condition)"
                )
        if kept:
            doc["Statement"] = kept
            self.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(doc))
        self._created[lid] = Resource(lid, "AWS::S3::BucketPolicy", str(props["Bucket"]))

    def _apply_SNS_Subscription(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        attrs: dict[str, str] = {}
        for key in ("RawMessageDelivery", "FilterPolicyScope", "SubscriptionRoleArn"):
            if key in props:
                value = props[key]
                attrs[key] = str(value).lower() if isinstance(value, bool) else str(value)
        for key in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
            if key in props:
                value = props[key]
                attrs[key] = value if isinstance(value, str) else json.dumps(value)
        result = self.client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attrs,
            ReturnSubscriptionArn=True,
        )
        arn = str(result["SubscriptionArn"])
        self._created[lid] = Resource(lid, "AWS::SNS::Subscription", arn, arn)

    def _apply_SNS_TopicPolicy(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        for arn in props["Topics"]:
            self.client("sns").set_topic_attributes(
                TopicArn=arn,
                AttributeName="Policy",
                AttributeValue=json.dumps(props["PolicyDocument"]),
            )
        self._created[lid] = Resource(lid, "AWS::SNS::TopicPolicy", ",".join(props["Topics"]))

    def _apply_SQS_QueuePolicy(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        for url in props["Queues"]:
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        self._created[lid] = Resource(lid, "AWS::SQS::QueuePolicy", ",".join(props["Queues"]))

    def _apply_Lambda_EventInvokeConfig(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        kwargs = {
            k: props[k]
            for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            if k in props
        }
        for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if k in kwargs:
                kwargs[k] = int(kwargs[k])
        self.client("lambda").put_function_event_invoke_config(
            FunctionName=props["FunctionName"],
            Qualifier=props.get("Qualifier", "$LATEST"),
            **kwargs,
        )
        self._created[lid] = Resource(
            lid, "AWS::Lambda::EventInvokeConfig", str(props["FunctionName"])
        )

    def _apply_CloudWatch_Alarm(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = dict(data["props"])
        props.setdefault("AlarmName", f"{stack}-{lid}")
        if "Threshold" in props:
            props["Threshold"] = float(props["Threshold"])
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in props:
                props[key] = int(props[key])
        for key in ("ActionsEnabled",):
            if key in props and isinstance(props[key], str):
                props[key] = props[key].lower() == "true"
        self.client("cloudwatch").put_metric_alarm(**props)
        self._created[lid] = Resource(lid, "AWS::CloudWatch::Alarm", str(props["AlarmName"]))

    def _apply_Logs_MetricFilter(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        name = props.get("FilterName", f"{stack}-{lid}")
        transformations = [
            {
                "metricName": t["MetricName"],
                "metricNamespace": t["MetricNamespace"],
                "metricValue": str(t["MetricValue"]),
                **({"defaultValue": float(t["DefaultValue"])} if "DefaultValue" in t else {}),
            }
            for t in props["MetricTransformations"]
        ]
        self.client("logs").put_metric_filter(
            logGroupName=props["LogGroupName"],
            filterName=name,
            filterPattern=props.get("FilterPattern", ""),
            metricTransformations=transformations,
        )
        self._created[lid] = Resource(lid, "AWS::Logs::MetricFilter", str(name))

    def _apply_IAM_RolePolicy(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        props = data["props"]
        self.client("iam").put_role_policy(
            RoleName=props["RoleName"],
            PolicyName=props["PolicyName"],
            PolicyDocument=json.dumps(props["PolicyDocument"]),
        )
        self._created[lid] = Resource(lid, "AWS::IAM::RolePolicy", str(props["PolicyName"]))

    def _apply_ApiGateway_Deployment(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        """Recorded, not created: moto's REST API from CloudFormation ignores the OpenAPI
        ``Body`` SAM writes (so it has no methods to deploy), and nothing local routes
        through API Gateway: the local HTTP front (``api_server.py``) invokes the function."""
        self._created[lid] = Resource(lid, "AWS::ApiGateway::Deployment", f"local-{lid}")

    def _apply_ApiGateway_Stage(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        """Recorded, not created (see ``_apply_ApiGateway_Deployment``)."""
        name = str(data["props"]["StageName"])
        self._created[lid] = Resource(lid, "AWS::ApiGateway::Stage", name)

    # ------------------------------------------------------------------ properties moto drops
    def _apply_S3_Bucket(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        bucket, props, s3 = data["ref"], data["props"], self.client("s3")
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=bucket,
                VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    k: v if isinstance(v, bool) else str(v).lower() == "true"
                    for k, v in props["PublicAccessBlockConfiguration"].items()
                },
            )
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(
                Bucket=bucket, OwnershipControls=props["OwnershipControls"]
            )
        if "BucketEncryption" in props:
            rules = []
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]:
                api_rule: dict[str, Any] = {}
                if "ServerSideEncryptionByDefault" in rule:
                    api_rule["ApplyServerSideEncryptionByDefault"] = rule[
                        "ServerSideEncryptionByDefault"
                    ]
                if "BucketKeyEnabled" in rule:
                    api_rule["BucketKeyEnabled"] = str(rule["BucketKeyEnabled"]).lower() == "true"
                rules.append(api_rule)
            s3.put_bucket_encryption(
                Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules}
            )
        if "NotificationConfiguration" in props:
            s3.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration=_notification_config(props["NotificationConfiguration"]),
            )
        if "LifecycleConfiguration" in props:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={
                    "Rules": [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
                },
            )
        if "CorsConfiguration" in props:
            s3.put_bucket_cors(
                Bucket=bucket,
                CORSConfiguration={"CORSRules": props["CorsConfiguration"]["CorsRules"]},
            )

    def _apply_DynamoDB_Table(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        table, props, ddb = data["ref"], data["props"], self.client("dynamodb")
        if "PointInTimeRecoverySpecification" in props:
            enabled = props["PointInTimeRecoverySpecification"].get("PointInTimeRecoveryEnabled")
            ddb.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": str(enabled).lower() == "true"
                },
            )
        if "TimeToLiveSpecification" in props:
            ttl = props["TimeToLiveSpecification"]
            ddb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={
                    "Enabled": str(ttl.get("Enabled")).lower() == "true",
                    "AttributeName": ttl["AttributeName"],
                },
            )

    def _apply_Lambda_Function(self, stack: str, lid: str, data: dict[str, Any]) -> None:
        name, props, lam = data["ref"], data["props"], self.client("lambda")
        if props.get("Layers"):
            lam.update_function_configuration(FunctionName=name, Layers=props["Layers"])
        if props.get("Tags"):
            arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
            lam.tag_resource(Resource=arn, Tags={t["Key"]: t["Value"] for t in props["Tags"]})


def _notification_config(cfn: dict[str, Any]) -> dict[str, Any]:
    api: dict[str, Any] = {}
    if str((cfn.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled")).lower() == "true":
        api["EventBridgeConfiguration"] = {}
    kinds = (
        ("QueueConfigurations", "QueueConfigurations", "QueueArn", "Queue"),
        ("TopicConfigurations", "TopicConfigurations", "TopicArn", "Topic"),
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "LambdaFunctionArn", "Function"),
    )
    for cfn_key, api_key, arn_key, target in kinds:
        for conf in cfn.get(cfn_key, []):
            item: dict[str, Any] = {arn_key: conf[target], "Events": [conf["Event"]]}
            if "Filter" in conf:
                item["Filter"] = {"Key": {"FilterRules": conf["Filter"]["S3Key"]["Rules"]}}
            api.setdefault(api_key, []).append(item)
    return api


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"]}
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        days = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
    if "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return out
