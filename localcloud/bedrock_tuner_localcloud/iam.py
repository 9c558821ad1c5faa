"""IAM on the local cloud: each function's AWS calls are checked against its own role.

On AWS a function runs with the credentials of its execution role, and every call it makes is
allowed only if the role's identity policies allow the call's IAM action on the call's
resource. moto cannot play that part (moto 5.2.5 checks most services against the resource
``"*"``, so policies scoped to ARNs deny everything; it ignores conditions; and Bedrock and
Lambda calls fail their signature check once its IAM is on). This module does the evaluation
itself, on the single hook every call of a function passes (:mod:`.calls`):

1. **Identities** (:func:`principals_from_template`): the translated template (SAM's output)
   gives each ``AWS::Lambda::Function`` its ``Role``, and each role its policies: the inline
   ``Policies``, ``AWS::IAM::RolePolicy`` / ``AWS::IAM::Policy`` / ``AWS::IAM::ManagedPolicy``
   resources attached to it, and AWS managed policies (``ManagedPolicyArns``; their documents
   are the ones moto ships). Intrinsics resolve against the deployed stack (``Ref``,
   ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If`` with the template's conditions …).
2. **Requests** (:func:`requests_for`): an API call becomes one or more ``(action,
   resource)`` pairs, as the Service Authorization Reference maps them: the action is the
   service's IAM prefix and the operation name, with a table of exceptions (``s3:HeadObject``
   → ``s3:GetObject``, ``ListObjectsV2`` → ``s3:ListBucket``, a ``VersionId`` →
   ``s3:GetObjectVersion``, ``CopyObject`` → read the source and ``s3:PutObject`` the target,
   ``TransactWriteItems`` → the action of each item, ``lambda:Invoke`` →
   ``lambda:InvokeFunction`` …); the resource ARN is built from the parameters (an object, a
   table or ``table/<name>/index/<index>``, the state machine a task token belongs to, a
   topic, a secret, a parameter, a job …). Calls to a bucket or topic encrypted with a KMS key
   also need the key (``kms:Decrypt`` to read, ``kms:GenerateDataKey`` to write), as on AWS.
3. **Evaluation** (:func:`evaluate`): IAM's wildcard matching (``*``, ``?``) on actions
   (case-insensitive) and resources, ``NotAction``/``NotResource``, an explicit ``Deny`` wins,
   otherwise an ``Allow`` is needed. Conditions are evaluated for the keys a request models
   (``s3:prefix``, ``iam:PassedToService``, ``kms:ViaService``, ``kms:GrantIsForAWSResource``,
   ``kms:CallerAccount``, ``aws:SourceAccount``/``aws:SourceArn`` for trust policies); a
   condition on any other key is assumed satisfied by an ``Allow`` and not by a ``Deny``
   (docs/local-cloud.md, "IAM on the local cloud", lists what is not evaluated).

A denied call fails as AWS fails it: ``AccessDeniedException`` (``AccessDenied`` for S3, SQS
and the query services, ``AuthorizationError`` for SNS) with AWS's message, ``User:
arn:aws:sts::<account>:assumed-role/<role>/<function> is not authorized to perform: <action>
on resource: <arn> because no identity-based policy allows the <action> action``.

The Bedrock simulator asks the same evaluator whether a job's service role may read the
training data, write the output, use the KMS key and invoke an RFT grader
(:meth:`IamEnforcer.principal_for_role`).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlparse

from bedrock_tuner_localcloud.calls import Call, add_interceptor, client_error
from bedrock_tuner_localcloud.errors import LocalCloudError
from bedrock_tuner_localcloud.resolve import StaticResolver

if TYPE_CHECKING:
    from bedrock_tuner_localcloud.deploy import Deployment, Resource

__all__ = [
    "ConditionContext",
    "Decision",
    "Denial",
    "IamEnforcer",
    "MotoWorld",
    "Principal",
    "Request",
    "Statement",
    "World",
    "denial_error",
    "evaluate",
    "iam_prefix",
    "parse_policy",
    "principals_from_template",
    "requests_for",
    "wildcard_match",
]

LOG = logging.getLogger("bedrock_tuner_localcloud")

# Condition keys a request carries: the values, or None when the request does not have the
# key (e.g. ListObjectsV2 without a Prefix). Keys missing from the mapping are not modelled.
ConditionContext = Mapping[str, tuple[str, ...] | None]

# Operations every principal may call (AWS needs no permission for them).
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})

# boto3 service name → IAM service prefix, where the SigV4 signing name differs.
_PREFIXES = {"stepfunctions": "states", "cloudwatch": "cloudwatch", "bedrock-runtime": "bedrock"}


# ============================================================================ policies
@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's matching: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one."""
    return _pattern(pattern, case_sensitive).fullmatch(value) is not None


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_strings(item))
        return tuple(out)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    return (str(value),)


@dataclass(frozen=True)
class Statement:
    """One statement of a policy (identity policy, or a trust policy with ``principals``)."""

    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] = ("*",)
    not_resources: tuple[str, ...] | None = None
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    principals: Mapping[str, tuple[str, ...]] | None = None
    sid: str | None = None
    policy: str = ""

    def covers_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(
                wildcard_match(p, action, case_sensitive=False) for p in self.not_actions
            )
        return any(wildcard_match(p, action, case_sensitive=False) for p in self.actions)

    def covers_resource(self, resource: str) -> bool:
        if self.not_resources is not None:
            return not any(wildcard_match(p, resource) for p in self.not_resources)
        return any(p == "*" or wildcard_match(p, resource) for p in self.resources)

    @property
    def name(self) -> str:
        return f"{self.policy}/{self.sid}" if self.sid else self.policy or "(statement)"


def parse_policy(document: Mapping[str, Any] | str, name: str = "") -> tuple[Statement, ...]:
    """The statements of a policy document (a mapping or its JSON text)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise LocalCloudError(f"policy {name or '(unnamed)'} is not JSON: {exc}") from None
    assert isinstance(document, Mapping)
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    out: list[Statement] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        effect = str(item.get("Effect", ""))
        if effect not in ("Allow", "Deny"):
            raise LocalCloudError(f"policy {name}: statement {item.get('Sid')} has no Effect")
        conditions: dict[str, dict[str, tuple[str, ...]]] = {}
        for operator, block in (item.get("Condition") or {}).items():
            conditions[str(operator)] = {str(k): _strings(v) for k, v in dict(block).items()}
        principals: dict[str, tuple[str, ...]] | None = None
        if "Principal" in item:
            principal = item["Principal"]
            principals = (
                {"*": ("*",)}
                if principal == "*"
                else {str(k): _strings(v) for k, v in dict(principal).items()}
            )
        out.append(
            Statement(
                effect=effect,
                actions=_strings(item.get("Action")),
                not_actions=_strings(item["NotAction"]) if "NotAction" in item else None,
                resources=_strings(item.get("Resource", "*")) if "NotResource" not in item else (),
                not_resources=_strings(item["NotResource"]) if "NotResource" in item else None,
                conditions=conditions,
                principals=principals,
                sid=str(item["Sid"]) if item.get("Sid") else None,
                policy=name,
            )
        )
    return tuple(out)


# ============================================================================ conditions
# operator → how one policy value is compared with one request value; the "Not" operators
# hold when no policy value matches.
_COMPARE: dict[str, str] = {
    "StringEquals": "equals",
    "StringNotEquals": "equals",
    "StringEqualsIgnoreCase": "iequals",
    "StringNotEqualsIgnoreCase": "iequals",
    "StringLike": "like",
    "StringNotLike": "like",
    "ArnEquals": "like",
    "ArnLike": "like",
    "ArnNotEquals": "like",
    "ArnNotLike": "like",
    "Bool": "iequals",
    "NumericEquals": "number",
    "NumericNotEquals": "number",
}


def _value_matches(how: str, expected: str, actual: str) -> bool:
    if how == "equals":
        return expected == actual
    if how == "iequals":
        return expected.lower() == actual.lower()
    if how == "like":
        return wildcard_match(expected, actual)
    try:
        return float(expected) == float(actual)
    except ValueError:
        return False


def _one_condition(
    operator: str, key: str, expected: tuple[str, ...], context: ConditionContext
) -> bool | None:
    """True/False, or None when the key (or the operator) is not modelled."""
    qualifier = ""
    if ":" in operator and operator.split(":", 1)[0] in ("ForAllValues", "ForAnyValue"):
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    lowered = {k.lower(): v for k, v in context.items()}
    if key.lower() not in lowered:
        return None
    actual = lowered[key.lower()]
    if operator == "Null":
        wants_absent = any(e.lower() == "true" for e in expected)
        return (actual is None or not actual) == wants_absent
    if actual is None or not actual:
        return if_exists or qualifier == "ForAllValues"
    how = _COMPARE.get(operator)
    if how is None:
        return None  # an operator this evaluator does not implement
    negated = "Not" in operator

    def satisfied(value: str) -> bool:
        hit = any(_value_matches(how, e, value) for e in expected)
        return not hit if negated else hit

    per_value = [satisfied(v) for v in actual]
    if qualifier == "ForAllValues":
        return all(per_value)
    return any(per_value)


def _conditions(
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]], context: ConditionContext
) -> tuple[bool | None, tuple[str, ...]]:
    """(True/False/None = unknown, the condition keys that were not modelled)."""
    unknown: list[str] = []
    for operator, block in conditions.items():
        for key, expected in block.items():
            result = _one_condition(operator, key, expected, context)
            if result is False:
                return False, ()
            if result is None:
                unknown.append(f"{operator}:{key}")
    return (None if unknown else True), tuple(unknown)


# ============================================================================ evaluation
@dataclass(frozen=True)
class Request:
    """One authorization question: may the principal do ``action`` on ``resource``?"""

    action: str
    resource: str
    context: ConditionContext = field(default_factory=dict)
    via: str | None = None  # "kms": the key use an S3/SNS/SQS call implies


@dataclass(frozen=True)
class Decision:
    """The answer, with the statement that decided and the conditions assumed satisfied."""

    allowed: bool
    explicit_deny: bool = False
    statement: Statement | None = None
    assumed: tuple[str, ...] = ()


def evaluate(statements: Iterable[Statement], request: Request) -> Decision:
    """IAM's identity-policy logic: an explicit Deny wins, otherwise an Allow is needed."""
    if request.action in ALWAYS_ALLOWED:
        return Decision(True)
    allow: Decision | None = None
    for statement in statements:
        if not statement.covers_action(request.action):
            continue
        if not statement.covers_resource(request.resource):
            continue
        holds, unknown = _conditions(statement.conditions, request.context)
        if statement.effect == "Deny":
            if holds is True:
                return Decision(False, explicit_deny=True, statement=statement)
            continue
        if holds is not False and allow is None:
            allow = Decision(True, statement=statement, assumed=unknown)
    return allow or Decision(False)


# ============================================================================ principals
@dataclass(frozen=True)
class Principal:
    """A role: its identity policies and its trust policy."""

    role_name: str
    role_arn: str
    statements: tuple[Statement, ...]
    trust: tuple[Statement, ...] = ()

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    def session_arn(self, session: str) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{session}"

    def decide(self, request: Request) -> Decision:
        return evaluate(self.statements, request)

    def allows(self, action: str, resource: str, context: ConditionContext | None = None) -> bool:
        return self.decide(Request(action, resource, context or {})).allowed

    def trusts(self, service: str, context: ConditionContext | None = None) -> bool:
        """Whether the trust policy lets ``service`` (``bedrock.amazonaws.com``) assume it."""
        request = Request("sts:AssumeRole", self.role_arn, context or {})
        for statement in self.trust:
            services = (statement.principals or {}).get("Service", ())
            anyone = (statement.principals or {}).get("*") is not None
            if not (anyone or service in services):
                continue
            if not statement.covers_action(request.action):
                continue
            holds, _ = _conditions(statement.conditions, request.context)
            if statement.effect == "Deny" and holds is True:
                return False
            if statement.effect == "Allow" and holds is not False:
                return True
        return False


class _StackResolver(StaticResolver):
    """Intrinsics against the deployed stack: ``Ref``/``Fn::GetAtt`` of resources too."""

    def __init__(
        self,
        template: dict[str, Any],
        parameters: dict[str, str],
        pseudo: dict[str, str],
        resources: Mapping[str, Resource],
    ) -> None:
        super().__init__(template, parameters, pseudo)
        self.resources = resources
        self.types = {
            lid: str(res.get("Type")) for lid, res in (template.get("Resources") or {}).items()
        }

    def ref(self, name: str) -> Any:
        if "." in name:
            lid, attr = name.split(".", 1)
            return self.getatt(lid, attr)
        if name in self.values:
            return self.values[name]
        resource = self.resources.get(name)
        if resource is None:
            raise LocalCloudError(f"Ref {name}: not a parameter nor a deployed resource")
        return resource.physical_id

    def getatt(self, lid: str, attr: str) -> str:
        resource = self.resources.get(lid)
        if resource is None:
            raise LocalCloudError(f"Fn::GetAtt {lid}.{attr}: {lid} is not deployed")
        if attr == "Arn":
            if resource.arn is None:
                raise LocalCloudError(f"Fn::GetAtt {lid}.Arn: no ARN known for {resource.type}")
            return resource.arn
        if attr in ("Name", "StateMachineName", "QueueName", "TopicName"):
            source = resource.arn or resource.physical_id
            return re.split(r"[:/]", source)[-1]
        if attr in ("TopicArn", "KeyId", "RestApiId", "QueueUrl"):
            return resource.physical_id
        raise LocalCloudError(f"Fn::GetAtt {lid}.{attr}: attribute not known to the IAM evaluator")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1 and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            lid, attr = target.split(".", 1) if isinstance(target, str) else target
            return self.getatt(str(lid), str(self.resolve(attr)))
        return super().resolve(value)


def _managed_policy(arn: str) -> tuple[Statement, ...]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    name = arn.rsplit("/", 1)[-1]
    documents: dict[str, Any] = _managed_documents(aws_managed_policies_data)
    if name not in documents:
        raise LocalCloudError(
            f"the managed policy {arn} is not known to the local cloud (moto ships the AWS "
            "managed policies; a customer managed one must be a resource of the template)"
        )
    return parse_policy(documents[name]["Document"], name)


@functools.cache
def _managed_documents(data: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def _role_target(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at (None for anything else)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target.split(".", 1)[0] if isinstance(target, str) else target[0])
    return None


def principals_from_template(
    cfn: dict[str, Any],
    *,
    parameters: Mapping[str, str],
    resources: Mapping[str, Resource],
    region: str,
    account: str,
    stack_name: str = "bedrock-tuner",
) -> tuple[dict[str, tuple[Principal, str]], dict[str, Principal]]:
    """Every deployed function's role (``{function logical id: (principal, function name)}``)
    and every role of the stack by ARN, with their resolved policies."""
    pseudo = {
        "AWS::StackName": stack_name,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    template = copy.deepcopy(cfn)
    resolver = _StackResolver(template, dict(parameters), pseudo, resources)
    items: dict[str, dict[str, Any]] = template.get("Resources") or {}

    def deployed(lid: str) -> bool:
        condition = items[lid].get("Condition")
        return lid in resources and (not condition or resolver.condition(str(condition)))

    attached: dict[str, list[Statement]] = {}
    for lid, res in items.items():
        rtype, props = res.get("Type"), res.get("Properties") or {}
        if res.get("Condition") and not resolver.condition(str(res["Condition"])):
            continue
        targets: list[str] = []
        if rtype == "AWS::IAM::RolePolicy":
            targets = [t for t in [_role_target(props.get("RoleName"))] if t]
        elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            targets = [t for t in (_role_target(r) for r in props.get("Roles") or []) if t]
        if not targets:
            continue
        name = str(resolver.resolve(props.get("PolicyName", props.get("ManagedPolicyName", lid))))
        parsed = parse_policy(resolver.resolve(props["PolicyDocument"]), name)
        for target in targets:
            attached.setdefault(target, []).extend(parsed)

    roles: dict[str, Principal] = {}
    by_lid: dict[str, Principal] = {}
    for lid, res in items.items():
        if res.get("Type") != "AWS::IAM::Role" or not deployed(lid):
            continue
        props = res.get("Properties") or {}
        statements: list[Statement] = []
        for policy in resolver.resolve(props.get("Policies") or []):
            statements.extend(parse_policy(policy["PolicyDocument"], str(policy["PolicyName"])))
        for arn in _strings(resolver.resolve(props.get("ManagedPolicyArns") or [])):
            statements.extend(_managed_policy(arn))
        statements.extend(attached.get(lid, []))
        trust = parse_policy(resolver.resolve(props.get("AssumeRolePolicyDocument") or {}))
        resource = resources[lid]
        if resource.arn is None:
            raise LocalCloudError(f"{lid}: the deployed role has no ARN")
        principal = Principal(resource.physical_id, resource.arn, tuple(statements), trust)
        roles[principal.role_arn] = principal
        by_lid[lid] = principal

    functions: dict[str, tuple[Principal, str]] = {}
    for lid, res in items.items():
        if res.get("Type") != "AWS::Lambda::Function" or not deployed(lid):
            continue
        role = (res.get("Properties") or {}).get("Role")
        role_lid = _role_target(role)
        if role_lid is not None and role_lid in by_lid:
            functions[lid] = (by_lid[role_lid], resources[lid].physical_id)
            continue
        arn = str(resolver.resolve(role))
        if arn not in roles:
            raise LocalCloudError(
                f"{lid}: its role {arn} is not a role of the template, so the local cloud "
                "cannot know its policies (run with IAM off: --no-iam)"
            )
        functions[lid] = (roles[arn], resources[lid].physical_id)
    return functions, roles


# ============================================================================ the world
class World(Protocol):
    """What building resource ARNs needs to know about the deployed resources."""

    account: str

    def state_machine_of_token(self, token: str, region: str) -> str | None:
        """The ARN of the state machine whose execution issued the task token."""
        ...

    def bucket_key(self, bucket: str) -> str | None:
        """The KMS key ARN of the bucket's default SSE-KMS encryption (None: no key)."""
        ...

    def object_exists(self, bucket: str, key: str, version: str | None) -> bool | None:
        """Whether the object (version) exists; None when the bucket is not known."""
        ...

    def topic_key(self, topic_arn: str) -> str | None: ...

    def queue_key(self, queue_arn: str) -> str | None: ...

    def secret_arn(self, secret_id: str, region: str) -> str | None: ...

    def key_arn(self, key_id: str, region: str) -> str: ...


class MotoWorld:
    """:class:`World` read from moto's backends (in-process, no API call)."""

    def __init__(self, account: str) -> None:
        self.account = account

    def state_machine_of_token(self, token: str, region: str) -> str | None:
        try:
            from moto.stepfunctions.parser.models import stepfunctions_parser_backends

            backend = stepfunctions_parser_backends[self.account][region]
            for machine in list(backend.state_machines):
                for execution in list(machine.executions):
                    worker = getattr(execution, "exec_worker", None)
                    pool = getattr(getattr(worker, "env", None), "callback_pool_manager", None)
                    if pool is not None and pool.get(token) is not None:
                        return str(machine.arn)
        except Exception:
            LOG.debug("task token lookup failed", exc_info=True)
        return None

    def bucket_key(self, bucket: str) -> str | None:
        try:
            from moto.s3.models import s3_backends

            encryption = s3_backends[self.account]["aws"].get_bucket(bucket).encryption or {}
            rules = encryption.get("Rule", [])
            for rule in rules if isinstance(rules, list) else [rules]:
                default = rule.get("ApplyServerSideEncryptionByDefault") or {}
                if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse"):
                    key = default.get("KMSMasterKeyID")
                    region = s3_backends[self.account]["aws"].get_bucket(bucket).region_name
                    return self.key_arn(str(key), region) if key else None
        except Exception:
            LOG.debug("bucket encryption lookup failed for %s", bucket, exc_info=True)
        return None

    def object_exists(self, bucket: str, key: str, version: str | None) -> bool | None:
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends

        try:
            found = s3_backends[self.account]["aws"].get_object(bucket, key, version)
        except MissingBucket:
            return None
        return found is not None

    def topic_key(self, topic_arn: str) -> str | None:
        try:
            from moto.sns.models import sns_backends

            region = topic_arn.split(":")[3]
            topic = sns_backends[self.account][region].topics.get(topic_arn)
            key = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
            return self.key_arn(str(key), region) if key else None
        except Exception:
            LOG.debug("topic encryption lookup failed for %s", topic_arn, exc_info=True)
        return None

    def queue_key(self, queue_arn: str) -> str | None:
        try:
            from moto.sqs.models import sqs_backends

            _, _, _, region, account, name = queue_arn.split(":", 5)
            queue = sqs_backends[account][region].queues.get(name)
            key = getattr(queue, "kms_master_key_id", None) if queue is not None else None
            return self.key_arn(str(key), region) if key else None
        except Exception:
            LOG.debug("queue encryption lookup failed for %s", queue_arn, exc_info=True)
        return None

    def secret_arn(self, secret_id: str, region: str) -> str | None:
        try:
            from moto.secretsmanager.models import secretsmanager_backends

            secrets = secretsmanager_backends[self.account][region].secrets
            for secret in secrets.values():
                if secret_id in (secret.arn, secret.name):
                    return str(secret.arn)
        except Exception:
            LOG.debug("secret lookup failed for %s", secret_id, exc_info=True)
        return None

    def key_arn(self, key_id: str, region: str) -> str:
        if key_id.startswith("arn:") and ":alias/" not in key_id:
            return key_id
        alias = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
        if alias.startswith("alias/"):
            try:
                from moto.kms.models import kms_backends

                backend = kms_backends[self.account][region]
                target = backend.get_key_id_from_alias(alias)
                if target:
                    return f"arn:aws:kms:{region}:{self.account}:key/{target}"
            except Exception:
                LOG.debug("alias lookup failed for %s", alias, exc_info=True)
            return f"arn:aws:kms:{region}:{self.account}:{alias}"
        return f"arn:aws:kms:{region}:{self.account}:key/{key_id}"


# ============================================================================ requests
@functools.cache
def iam_prefix(service: str) -> str:
    """The IAM service prefix of a boto3 service name (``stepfunctions`` → ``states``)."""
    if service in _PREFIXES:
        return _PREFIXES[service]
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        return str(botocore.session.get_session().get_service_model(service).signing_name)
    except UnknownServiceError:
        return service


def _s3_object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _copy_source(source: Any) -> tuple[str, str, str | None]:
    """(bucket, key, version) of CopyObject's ``CopySource`` (a dict or ``b/k?versionId=``)."""
    if isinstance(source, Mapping):
        return str(source["Bucket"]), str(source["Key"]), source.get("VersionId")
    text = unquote(str(source)).lstrip("/")
    text, _, query = text.partition("?versionId=")
    bucket, _, key = text.partition("/")
    return bucket, key, query or None


_S3_VERSIONED = {
    "GetObject": ("s3:GetObject", "s3:GetObjectVersion"),
    "HeadObject": ("s3:GetObject", "s3:GetObjectVersion"),
    "SelectObjectContent": ("s3:GetObject", "s3:GetObject"),
    "GetObjectTagging": ("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
    "PutObjectTagging": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
    "DeleteObjectTagging": ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    "GetObjectAcl": ("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
    "GetObjectAttributes": ("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
    "DeleteObject": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
}
_S3_RENAMED = {
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "ListParts": "s3:ListMultipartUploadParts",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "ListBuckets": "s3:ListAllMyBuckets",
}


def _kms(action: str, key: str | None, service: str, region: str, account: str) -> list[Request]:
    if not key:
        return []
    context: dict[str, tuple[str, ...] | None] = {
        "kms:ViaService": (f"{service}.{region}.amazonaws.com",),
        "kms:CallerAccount": (account,),
    }
    return [Request(action, key, context, via="kms")]


def _s3(call: Call, world: World) -> list[Request]:
    p, op, region = call.params, call.operation, call.region
    bucket = str(p.get("Bucket", ""))
    key = p.get("Key")
    version = p.get("VersionId")
    out: list[Request] = []

    def kms(action: str, target_bucket: str) -> list[Request]:
        explicit = p.get("SSEKMSKeyId")
        the_key = (
            world.key_arn(str(explicit), region) if explicit else world.bucket_key(target_bucket)
        )
        return _kms(action, the_key, "s3", region, world.account)

    if op in ("CopyObject", "UploadPartCopy"):
        src_bucket, src_key, src_version = _copy_source(p.get("CopySource"))
        read = "s3:GetObjectVersion" if src_version else "s3:GetObject"
        out.append(Request(read, _s3_object(src_bucket, src_key)))
        out.append(Request("s3:PutObject", _s3_object(bucket, str(key))))
        out += _kms("kms:Decrypt", world.bucket_key(src_bucket), "s3", region, world.account)
        out += kms("kms:GenerateDataKey", bucket)
        return out
    if op == "DeleteObjects":
        for item in (p.get("Delete") or {}).get("Objects", []):
            action = "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject"
            out.append(Request(action, _s3_object(bucket, str(item["Key"]))))
        return out
    if op in _S3_VERSIONED and key is not None:
        plain, versioned = _S3_VERSIONED[op]
        out.append(Request(versioned if version else plain, _s3_object(bucket, str(key))))
        if (
            op in ("GetObject", "HeadObject")
            and world.object_exists(bucket, str(key), version) is False
        ):
            # S3 answers 404 for a missing object only to a caller allowed s3:ListBucket on
            # the bucket; to any other, 403 AccessDenied (the GetObject and HeadObject API
            # references).
            out.append(Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": None}))
            return out
        if op in ("GetObject", "SelectObjectContent"):
            out += kms("kms:Decrypt", bucket)
        return out
    if op in ("ListObjects", "ListObjectsV2", "ListObjectVersions", "HeadBucket"):
        context: dict[str, tuple[str, ...] | None] = {
            "s3:prefix": (str(p["Prefix"]),) if p.get("Prefix") is not None else None,
            "s3:delimiter": (str(p["Delimiter"]),) if p.get("Delimiter") else None,
            "s3:max-keys": (str(p["MaxKeys"]),) if p.get("MaxKeys") else None,
        }
        return [Request(_S3_RENAMED[op], f"arn:aws:s3:::{bucket}", context)]
    if op == "ListBuckets":
        return [Request("s3:ListAllMyBuckets", "*")]
    action = _S3_RENAMED.get(op, f"s3:{op}")
    resource = _s3_object(bucket, str(key)) if key is not None else f"arn:aws:s3:::{bucket}"
    out.append(Request(action, resource))
    if op == "PutObject":
        out += kms("kms:GenerateDataKey", bucket)
    elif op == "CreateMultipartUpload":
        out += kms("kms:GenerateDataKey", bucket) + kms("kms:Decrypt", bucket)
    return out


def _table_arn(name: Any, region: str, account: str) -> str:
    text = str(name)
    return text if text.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{text}"


_DYNAMO_TRANSACT = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def _dynamodb(call: Call, world: World) -> list[Request]:
    p, op, region, account = call.params, call.operation, call.region, world.account
    if op in ("TransactWriteItems", "TransactGetItems"):
        out: list[Request] = []
        for item in p.get("TransactItems", []):
            for kind, body in item.items():
                table = _table_arn(body["TableName"], region, account)
                out.append(Request(_DYNAMO_TRANSACT[kind], table))
        return out
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [
            Request(f"dynamodb:{op}", _table_arn(table, region, account))
            for table in p.get("RequestItems", {})
        ]
    if "TableName" not in p:
        return [Request(f"dynamodb:{op}", "*")]
    table = _table_arn(p["TableName"], region, account)
    if op in ("Query", "Scan") and p.get("IndexName"):
        table = f"{table}/index/{p['IndexName']}"
    return [Request(f"dynamodb:{op}", table)]


def _states(call: Call, world: World) -> list[Request]:
    p, op = call.params, call.operation
    action = f"states:{op}"
    if op in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
        machine = world.state_machine_of_token(str(p.get("taskToken", "")), call.region)
        # An unknown token (expired, made up) gets the service's own answer (InvalidToken,
        # TaskTimedOut), as AWS authorizes against the state machine the token names.
        return [Request(action, machine)] if machine else []
    for name in ("executionArn", "stateMachineArn", "mapRunArn", "activityArn", "resourceArn"):
        if p.get(name):
            return [Request(action, str(p[name]))]
    return [Request(action, "*")]


def _sns(call: Call, world: World) -> list[Request]:
    p, op = call.params, call.operation
    arn = str(p.get("TopicArn") or p.get("TargetArn") or "")
    if not arn and p.get("SubscriptionArn"):
        arn = str(p["SubscriptionArn"]).rsplit(":", 1)[0]
    out = [Request(f"sns:{op}", arn or "*")]
    if op in ("Publish", "PublishBatch") and arn:
        key = world.topic_key(arn)
        out += _kms("kms:GenerateDataKey", key, "sns", call.region, world.account)
        out += _kms("kms:Decrypt", key, "sns", call.region, world.account)
    return out


def _queue_arn(url: str, region: str) -> str:
    parts = [s for s in urlparse(url).path.split("/") if s]
    if len(parts) >= 2:
        return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"
    return "*"


def _sqs(call: Call, world: World) -> list[Request]:
    p, op = call.params, call.operation
    arn = _queue_arn(str(p["QueueUrl"]), call.region) if p.get("QueueUrl") else "*"
    out = [Request(f"sqs:{op}", arn)]
    if op in ("SendMessage", "SendMessageBatch") and arn != "*":
        key = world.queue_key(arn)
        out += _kms("kms:GenerateDataKey", key, "sqs", call.region, world.account)
        out += _kms("kms:Decrypt", key, "sqs", call.region, world.account)
    return out


def _bedrock_arn(kind: str, identifier: Any, region: str, account: str) -> str:
    text = unquote(str(identifier))
    if text.startswith("arn:"):
        return text
    if kind == "foundation-model":
        return f"arn:aws:bedrock:{region}::foundation-model/{text}"
    return f"arn:aws:bedrock:{region}:{account}:{kind}/{text}"


def _bedrock(call: Call, world: World) -> list[Request]:
    p, op, region, account = call.params, call.operation, call.region, world.account
    action = f"bedrock:{op}"
    if op == "CreateModelCustomizationJob":
        job = _bedrock_arn("model-customization-job", p.get("jobName"), region, account)
        model = _bedrock_arn("custom-model", p.get("customModelName"), region, account)
        out = [
            Request(
                action,
                _bedrock_arn("foundation-model", p.get("baseModelIdentifier"), region, account),
            ),
            Request(action, model),
            Request(action, job),
            Request(
                "iam:PassRole",
                str(p.get("roleArn")),
                {"iam:PassedToService": ("bedrock.amazonaws.com",)},
            ),
        ]
        if p.get("jobTags"):
            out.append(Request("bedrock:TagResource", job))
        if p.get("customModelTags"):
            out.append(Request("bedrock:TagResource", model))
        if p.get("customModelKmsKeyId"):
            key = world.key_arn(str(p["customModelKmsKeyId"]), region)
            via: dict[str, tuple[str, ...] | None] = {
                "kms:ViaService": (f"bedrock.{region}.amazonaws.com",),
                "kms:CallerAccount": (account,),
            }
            for kms_action in ("kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"):
                out.append(Request(kms_action, key, via, via="kms"))
            grant = {**via, "kms:GrantIsForAWSResource": ("true",)}
            out.append(Request("kms:CreateGrant", key, grant, via="kms"))
        return out
    if op in ("GetModelCustomizationJob", "StopModelCustomizationJob"):
        return [
            Request(
                action,
                _bedrock_arn("model-customization-job", p.get("jobIdentifier"), region, account),
            )
        ]
    if op in ("GetCustomModel", "DeleteCustomModel"):
        return [
            Request(action, _bedrock_arn("custom-model", p.get("modelIdentifier"), region, account))
        ]
    if op in ("GetCustomModelDeployment", "DeleteCustomModelDeployment"):
        ident = p.get("customModelDeploymentIdentifier")
        return [Request(action, _bedrock_arn("custom-model-deployment", ident, region, account))]
    if op == "UpdateCustomModelDeployment":
        ident = p.get("customModelDeploymentIdentifier")
        return [
            Request(action, _bedrock_arn("custom-model-deployment", ident, region, account)),
            Request(action, _bedrock_arn("custom-model", p.get("modelArn"), region, account)),
        ]
    if op == "CreateCustomModelDeployment":
        name = p.get("modelDeploymentName")
        return [
            Request(action, _bedrock_arn("custom-model-deployment", name, region, account)),
            Request(action, _bedrock_arn("custom-model", p.get("modelArn"), region, account)),
        ]
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        return [Request(action, str(p.get("resourceARN", "*")))]
    return [Request(action, "*")]


def _function_arn(name: Any, qualifier: Any, region: str, account: str) -> str:
    text = str(name)
    if not text.startswith("arn:"):
        text = f"arn:aws:lambda:{region}:{account}:function:{text}"
    if qualifier and text.count(":") == 6:
        text = f"{text}:{qualifier}"
    return text


def _lambda(call: Call, world: World) -> list[Request]:
    p, op = call.params, call.operation
    action = {"Invoke": "lambda:InvokeFunction", "InvokeAsync": "lambda:InvokeFunction"}.get(
        op, f"lambda:{op}"
    )
    if p.get("FunctionName"):
        arn = _function_arn(p["FunctionName"], p.get("Qualifier"), call.region, world.account)
        return [Request(action, arn)]
    return [Request(action, "*")]


def _secretsmanager(call: Call, world: World) -> list[Request]:
    p, op = call.params, call.operation
    if not p.get("SecretId"):
        return [Request(f"secretsmanager:{op}", "*")]
    secret = str(p["SecretId"])
    arn = world.secret_arn(secret, call.region) or (
        secret
        if secret.startswith("arn:")
        else f"arn:aws:secretsmanager:{call.region}:{world.account}:secret:{secret}"
    )
    return [Request(f"secretsmanager:{op}", arn)]


def _parameter_arn(name: Any, region: str, account: str) -> str:
    text = str(name)
    if text.startswith("arn:"):
        return text
    return f"arn:aws:ssm:{region}:{account}:parameter/{text.lstrip('/')}"


def _ssm(call: Call, world: World) -> list[Request]:
    p, op, region, account = call.params, call.operation, call.region, world.account
    if op == "GetParameters" or op == "DeleteParameters":
        return [Request(f"ssm:{op}", _parameter_arn(n, region, account)) for n in p["Names"]]
    if op == "GetParametersByPath":
        return [Request(f"ssm:{op}", _parameter_arn(p["Path"], region, account))]
    if p.get("Name"):
        return [Request(f"ssm:{op}", _parameter_arn(p["Name"], region, account))]
    return [Request(f"ssm:{op}", "*")]


def _kms_call(call: Call, world: World) -> list[Request]:
    p, op = call.params, call.operation
    key = p.get("KeyId")
    resource = world.key_arn(str(key), call.region) if key else "*"
    return [Request(f"kms:{op}", resource, {"kms:CallerAccount": (world.account,)})]


def _events(call: Call, world: World) -> list[Request]:
    p, op, region, account = call.params, call.operation, call.region, world.account
    if op == "PutEvents":
        buses = {str(e.get("EventBusName") or "default") for e in p.get("Entries", [])}
        return [
            Request(
                "events:PutEvents",
                bus
                if bus.startswith("arn:")
                else f"arn:aws:events:{region}:{account}:event-bus/{bus}",
            )
            for bus in sorted(buses)
        ]
    return [Request(f"events:{op}", "*")]


_BY_PREFIX: dict[str, Callable[[Call, World], list[Request]]] = {
    "s3": _s3,
    "dynamodb": _dynamodb,
    "states": _states,
    "sns": _sns,
    "sqs": _sqs,
    "bedrock": _bedrock,
    "lambda": _lambda,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "kms": _kms_call,
    "events": _events,
}


def requests_for(call: Call, world: World) -> list[Request]:
    """The authorization questions one API call asks (all must be allowed).

    Services without a table here are asked ``<prefix>:<Operation>`` on ``"*"``: a policy
    scoped to ARNs denies them, which shows the gap (add the service to ``_BY_PREFIX``).
    """
    prefix = iam_prefix(call.service)
    handler = _BY_PREFIX.get(prefix)
    if handler is None:
        return [Request(f"{prefix}:{call.operation}", "*")]
    return handler(call, world)


# ============================================================================ errors
# (error code, HTTP status) of an authorization failure, per IAM prefix.
_DENIED: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "sqs": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "cloudwatch": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "lambda": ("AccessDeniedException", 403),
    "bedrock": ("AccessDeniedException", 403),
}


def _message(who: str, request: Request, decision: Decision, *, quote: bool = False) -> str:
    resource = f'"{request.resource}"' if quote else request.resource
    action = request.action
    if request.action.startswith("sns:"):
        action = "SNS:" + request.action.split(":", 1)[1]  # SNS spells its prefix so
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.explicit_deny
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {who} is not authorized to perform: {action} on resource: {resource} {why}"


def denial_error(call: Call, who: str, request: Request, decision: Decision) -> Exception:
    """The ``ClientError`` AWS returns for the denied ``request`` of ``call``."""
    prefix = iam_prefix(call.service)
    message = _message(who, request, decision, quote=prefix == "s3")
    if request.via == "kms" and prefix == "sns":
        return client_error(
            "KMSAccessDenied",
            f"{message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)",
            call.operation,
            status=400,
        )
    code, status = _DENIED.get(prefix, ("AccessDeniedException", 400))
    return client_error(code, message, call.operation, status=status)


# ============================================================================ the enforcer
@dataclass(frozen=True)
class Denial:
    """One call the local cloud refused (for tests, the demo and ``local up``)."""

    function: str
    operation: str
    action: str
    resource: str
    message: str


class IamEnforcer:
    """Checks every call a function makes (the :mod:`.calls` hook) against its role."""

    def __init__(
        self,
        functions: Mapping[str, tuple[Principal, str]],
        roles: Mapping[str, Principal],
        world: World,
    ) -> None:
        self.functions = dict(functions)
        self.roles = dict(roles)
        self.world = world
        self.denials: list[Denial] = []
        self._lock = threading.Lock()
        self._remove: Callable[[], None] | None = None

    @classmethod
    def from_deployment(
        cls, deployment: Deployment, region: str, *, template: Path | None = None
    ) -> IamEnforcer:
        """The enforcer of a deployed stack; with ``template``, the policies come from that
        template instead (same logical ids), e.g. a copy with one permission removed."""
        account = _account_of(deployment)
        cfn = deployment.cfn if template is None else _translate(template, deployment)
        functions, roles = principals_from_template(
            cfn,
            parameters=deployment.parameters,
            resources=deployment.resources,
            region=region,
            account=account,
            stack_name=deployment.stack_name,
        )
        return cls(functions, roles, MotoWorld(account))

    # -------------------------------------------------------------- the hook
    def install(self) -> None:
        if self._remove is None:
            self._remove = add_interceptor(self.check)

    def uninstall(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None

    def check(self, call: Call) -> None:
        """Raise AWS's error if the calling function's role may not make ``call``."""
        entry = self.functions.get(call.function)
        if entry is None:
            return  # not a function of this stack (a test's own handler)
        principal, session = entry
        for request in requests_for(call, self.world):
            decision = principal.decide(request)
            if decision.allowed:
                continue
            who = principal.session_arn(session)
            error = denial_error(call, who, request, decision)
            message = str(getattr(error, "response", {}).get("Error", {}).get("Message", ""))
            with self._lock:
                self.denials.append(
                    Denial(call.function, call.operation, request.action, request.resource, message)
                )
            LOG.warning(
                "IAM: %s may not %s on %s (%s)",
                call.function,
                request.action,
                request.resource,
                "explicit deny" if decision.explicit_deny else "no statement allows it",
            )
            raise error

    # -------------------------------------------------------------- queries
    def principal_for_role(self, role_arn: str) -> Principal | None:
        """A role of the stack by ARN (None: not a role this local cloud knows)."""
        return self.roles.get(role_arn)

    def principal_for_function(self, logical_id: str) -> Principal:
        try:
            return self.functions[logical_id][0]
        except KeyError:
            raise LocalCloudError(f"{logical_id} is not a function of the stack") from None

    def take_denials(self) -> list[Denial]:
        """The denials so far, forgotten."""
        with self._lock:
            out, self.denials = self.denials, []
        return out


def _account_of(deployment: Deployment) -> str:
    for resource in deployment.resources.values():
        if resource.arn and resource.arn.startswith("arn:aws:iam::"):
            return resource.arn.split(":")[4]
    return "123456789012"


def _translate(template: Path, deployment: Deployment) -> dict[str, Any]:
    """A template's CloudFormation (SAM translated, offline), code paths read relative to
    the deployed template's folder (a copy elsewhere still finds functions/)."""
    from bedrock_tuner_localcloud.template import load_yaml, package, translate

    sam = load_yaml(template)
    packaged, _ = package(sam, deployment.template_path.parent, "local-cloud-iam")
    cfn = translate(packaged, deployment.parameters) if "Transform" in sam else packaged
    return cfn
