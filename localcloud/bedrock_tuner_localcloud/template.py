"""``template.yaml`` → plain CloudFormation, offline: what ``sam build`` + ``sam package`` +
the SAM transform would do, without network or credentials.

* :func:`load_yaml` reads CloudFormation YAML with its short tags (``!Ref``, ``!GetAtt A.B``,
  ``!Sub``, ``!If`` …) into the long form (``{"Ref": …}``, ``{"Fn::GetAtt": [A, B]}`` …).
* :func:`package` zips each local ``CodeUri``/``ContentUri`` reproducibly into
  ``s3://<bucket>/<sha256>.zip`` (the caller uploads them) and inlines each local
  ``DefinitionUri`` as ``Definition`` (moto ignores ``DefinitionS3Location``).
* :func:`translate` runs the SAM translator with a static managed-policy loader (the translator
  ships ~1,200 AWS managed policy ARNs and asks the loader only for names it does not know; the
  stock loader would call ``iam:ListPolicies``).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from bedrock_tuner_localcloud.errors import LocalCloudError

Template = dict[str, Any]

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"
SERVERLESS_STATE_MACHINE = "AWS::Serverless::StateMachine"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader with CloudFormation tags; a subclass, so ``yaml.SafeLoader`` is untouched."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        scalar = loader.construct_scalar(node)
        value = scalar.split(".", 1) if suffix == "GetAtt" else scalar
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)  # type: ignore[no-untyped-call]
# CloudFormation has no YAML timestamps: "2012-10-17" stays a string.
_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> Template:
    """A CloudFormation/SAM template (YAML or JSON) with short tags in long form."""
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(doc, dict):
        raise LocalCloudError(f"{path} is not a template (top level is not a mapping)")
    return doc


@dataclass(frozen=True)
class SamFunction:
    """What the Lambda bridge needs of one ``AWS::Serverless::Function``."""

    logical_id: str
    code_dir: Path
    handler: str


def serverless_functions(sam: Template, base_dir: Path) -> dict[str, SamFunction]:
    """Every ``AWS::Serverless::Function`` with its local code folder and handler
    (Globals.Function fills what the resource leaves out)."""
    glob = (sam.get("Globals") or {}).get("Function") or {}
    out: dict[str, SamFunction] = {}
    for lid, res in (sam.get("Resources") or {}).items():
        if res.get("Type") != SERVERLESS_FUNCTION:
            continue
        props = res.get("Properties") or {}
        code = props.get("CodeUri", glob.get("CodeUri"))
        handler = props.get("Handler", glob.get("Handler"))
        if not isinstance(code, str) or code.startswith("s3://"):
            raise LocalCloudError(f"{lid}: CodeUri must be a local folder for the local cloud")
        if not isinstance(handler, str):
            raise LocalCloudError(f"{lid}: Handler must be a literal like app.handler")
        out[lid] = SamFunction(lid, (base_dir / code).resolve(), handler)
    return out


def _zip(path: Path) -> bytes:
    """A reproducible zip (fixed timestamps, sorted, no __pycache__) of a folder or one file.

    Stored, not deflated: moto only keeps the bytes, and storing is several times faster."""
    buf = io.BytesIO()
    files = (
        [path]
        if path.is_file()
        else sorted(
            f
            for f in path.rglob("*")
            if f.is_file() and "__pycache__" not in f.parts and not f.name.endswith(".pyc")
        )
    )
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for f in files:
            name = f.name if path.is_file() else f.relative_to(path).as_posix()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())
    return buf.getvalue()


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def package(sam: Template, base_dir: Path, bucket: str) -> tuple[Template, dict[str, bytes]]:
    """Local artifacts → ``s3://bucket/<sha256>.zip`` (returned as {key: bytes} to upload);
    local state machine definitions inlined. Missing paths are errors."""
    out = copy.deepcopy(sam)
    artifacts: dict[str, bytes] = {}

    def upload(rel: str, what: str) -> str:
        path = (base_dir / rel).resolve()
        if not path.exists():
            raise LocalCloudError(f"{what}: {rel} does not exist (relative to {base_dir})")
        data = _zip(path)
        key = f"{hashlib.sha256(data).hexdigest()}.zip"
        artifacts[key] = data
        return f"s3://{bucket}/{key}"

    glob = (out.get("Globals") or {}).get("Function") or {}
    if _is_local(glob.get("CodeUri")):
        glob["CodeUri"] = upload(glob["CodeUri"], "Globals.Function.CodeUri")
    for lid, res in (out.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        rtype = res.get("Type")
        if rtype == SERVERLESS_FUNCTION and _is_local(props.get("CodeUri")):
            props["CodeUri"] = upload(props["CodeUri"], f"{lid}.CodeUri")
        elif rtype == SERVERLESS_LAYER and _is_local(props.get("ContentUri")):
            props["ContentUri"] = upload(props["ContentUri"], f"{lid}.ContentUri")
        elif rtype == SERVERLESS_STATE_MACHINE and _is_local(props.get("DefinitionUri")):
            path = base_dir / props.pop("DefinitionUri")
            if not path.is_file():
                raise LocalCloudError(f"{lid}.DefinitionUri: {path} does not exist")
            props["Definition"] = load_yaml(path)
    return out, artifacts


class _StaticManagedPolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader (which calls iam:ListPolicies).

    Only consulted for managed policy names missing from the translator's bundled map."""

    POLICIES: ClassVar[dict[str, str]] = {
        "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    }

    def load(self) -> dict[str, str]:
        return dict(self.POLICIES)


def translate(sam: Template, parameters: dict[str, str]) -> Template:
    """SAM → CloudFormation with the SAM translator, offline."""
    # The translator asks boto3 for the region (to pick the partition).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.model.exceptions import (  # type: ignore[import-untyped]
        InvalidDocumentException,
    )
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    try:
        result = transform(copy.deepcopy(sam), dict(parameters), _StaticManagedPolicyLoader())
    except InvalidDocumentException as exc:
        causes = "\n  ".join(str(c.message) for c in exc.causes)
        raise LocalCloudError(f"the SAM template does not translate:\n  {causes}") from exc
    if not isinstance(result, dict):
        raise LocalCloudError("the SAM translator returned no template")
    return result
