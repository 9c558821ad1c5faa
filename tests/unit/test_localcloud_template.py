"""The local cloud's template handling, without a server: CloudFormation YAML, packaging, the
static resolver, and how the deployer rewrites a translated template for moto."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("moto", reason="needs the 'local' extra")

from bedrock_tuner_localcloud.deploy import prepare
from bedrock_tuner_localcloud.errors import LocalCloudError, UnsupportedResourceError
from bedrock_tuner_localcloud.resolve import StaticResolver
from bedrock_tuner_localcloud.template import load_yaml, package, serverless_functions

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = {"AWS::StackName": "s", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


def _resolver(template: dict[str, Any], **params: str) -> StaticResolver:
    return StaticResolver(template, params, PSEUDO)


def test_short_tags_load_in_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Version: 2012-10-17\n"
        "A: !Ref X\nB: !GetAtt Res.Arn\nC: !Sub '${X}-y'\nD: !If [Cond, 1, 2]\nE: !Join [',', [a, b]]\n"
    )
    assert load_yaml(path) == {
        "Version": "2012-10-17",
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Res", "Arn"]},
        "C": {"Fn::Sub": "${X}-y"},
        "D": {"Fn::If": ["Cond", 1, 2]},
        "E": {"Fn::Join": [",", ["a", "b"]]},
    }


def test_package_zips_code_reproducibly_and_inlines_definitions(tmp_path: Path) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(e, c): return 1\n")
    (tmp_path / "fn" / "__pycache__").mkdir()
    (tmp_path / "fn" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"x")
    (tmp_path / "sm.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
    sam = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "fn/", "Handler": "app.handler"},
            },
            "Sm": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {"DefinitionUri": "sm.json"},
            },
        }
    }
    first, artifacts = package(sam, tmp_path, "bucket")
    again, _ = package(sam, tmp_path, "bucket")
    assert first == again  # same content, same key
    uri = first["Resources"]["Fn"]["Properties"]["CodeUri"]
    assert uri.startswith("s3://bucket/") and uri.endswith(".zip")
    with zipfile.ZipFile(BytesIO(artifacts[uri.removeprefix("s3://bucket/")])) as zf:
        assert zf.namelist() == ["app.py"]
    assert first["Resources"]["Sm"]["Properties"]["Definition"]["StartAt"] == "A"
    assert sam["Resources"]["Fn"]["Properties"]["CodeUri"] == "fn/"  # input untouched
    assert serverless_functions(sam, tmp_path)["Fn"].code_dir == (tmp_path / "fn").resolve()


def test_package_names_a_missing_folder(tmp_path: Path) -> None:
    sam = {
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "nope/"}}
        }
    }
    with pytest.raises(LocalCloudError, match=r"Fn\.CodeUri: nope/ does not exist"):
        package(sam, tmp_path, "bucket")


def test_static_resolver_conditions_and_subs() -> None:
    template = {
        "Parameters": {
            "Key": {"Type": "String", "Default": ""},
            "Subnets": {"Type": "CommaDelimitedList", "Default": ""},
        },
        "Conditions": {
            "CreateKey": {"Fn::Equals": [{"Ref": "Key"}, ""]},
            "HasVpc": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Subnets"}]}, ""]}]},
        },
    }
    default = _resolver(template)
    assert default.condition("CreateKey") and not default.condition("HasVpc")
    given = _resolver(template, Key="arn:k", Subnets="subnet-1,subnet-2")
    assert not given.condition("CreateKey") and given.condition("HasVpc")
    assert default.resolve({"Fn::Sub": "${AWS::StackName}-core"}) == "s-core"
    assert default.resolve({"Fn::If": ["CreateKey", "made", {"Ref": "AWS::NoValue"}]}) == "made"
    with pytest.raises(LocalCloudError, match="before the stack exists"):
        default.resolve({"Fn::GetAtt": ["Res", "Arn"]})


def _cfn(resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Resources": resources, **extra}


def test_definition_substitutions_become_a_join_that_keeps_context_paths() -> None:
    definition = json.dumps(
        {
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Task",
                    "Resource": "${FnArn}",
                    "Parameters": {"t.$": "$$.Task.Token", "n": "${Other}"},
                    "End": True,
                }
            },
        }
    )
    cfn = _cfn(
        {
            "Sm": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {"Fn::Join": ["\n", definition.split(",")]},
                    "DefinitionSubstitutions": {"FnArn": {"Fn::GetAtt": ["Fn", "Arn"]}},
                },
            }
        }
    )
    plan = prepare(cfn, "s", _resolver(cfn))
    props = plan.template["Resources"]["Sm"]["Properties"]
    assert "DefinitionSubstitutions" not in props
    parts = props["DefinitionString"]["Fn::Join"][1]
    assert {"Fn::GetAtt": ["Fn", "Arn"]} in parts
    text = "".join(p if isinstance(p, str) else "ARN" for p in parts)
    assert '"Resource": "ARN"' in text and "$$.Task.Token" in text and "${Other}" in text


def test_types_moto_lacks_leave_the_stack_and_travel_as_outputs() -> None:
    cfn = _cfn(
        {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": ["Policy"], "Properties": {}},
            "Policy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Condition": "Yes",
                "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": {}},
            },
        },
        Conditions={"Yes": {"Fn::Equals": ["a", "a"]}},
    )
    plan = prepare(cfn, "s", _resolver(cfn))
    assert set(plan.template["Resources"]) == {"Topic", "Queue"}
    assert "DependsOn" not in plan.template["Resources"]["Queue"]
    ((key, lid, rtype),) = plan.patches
    assert (lid, rtype) == ("Policy", "AWS::SNS::TopicPolicy")
    output = plan.template["Outputs"][key]
    assert output["Condition"] == "Yes"
    assert output["Value"]["Fn::ToJsonString"]["props"]["Topics"] == [{"Ref": "Topic"}]


def test_getatts_moto_rejects_become_refs() -> None:
    cfn = _cfn(
        {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Q": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "Tags": [
                        {"Key": "t", "Value": {"Fn::GetAtt": ["Topic", "TopicArn"]}},
                        {"Key": "s", "Value": {"Fn::Sub": "${Topic.TopicArn}/x"}},
                    ]
                },
            },
        }
    )
    tags = prepare(cfn, "s", _resolver(cfn)).template["Resources"]["Q"]["Properties"]["Tags"]
    assert tags == [
        {"Key": "t", "Value": {"Ref": "Topic"}},
        {"Key": "s", "Value": {"Fn::Sub": "${Topic}/x"}},
    ]


def test_unknown_types_fail_loudly() -> None:
    cfn = _cfn({"Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}}})
    with pytest.raises(UnsupportedResourceError, match="AWS::ApiGatewayV2::Api"):
        prepare(cfn, "s", _resolver(cfn))


def test_the_cli_does_not_import_the_local_cloud_or_moto() -> None:
    code = (
        "import sys, bedrock_tuner_cli.main as m; m.build_parser().parse_args(['local', 'up']);"
        "bad = [n for n in sys.modules if n.startswith(('moto', 'samtranslator', 'bedrock_tuner_localcloud'))];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_handler_or_domain_module_imports_the_local_cloud() -> None:
    allowed = {ROOT / "cli/bedrock_tuner_cli/local_cmd.py"}
    offenders = []
    sources = [*ROOT.glob("functions/*/*.py"), *(ROOT / "layers/core/bedrock_tuner").rglob("*.py")]
    for path in sources:
        if "localcloud" in path.parts or path in allowed:
            continue
        if "bedrock_tuner_localcloud" in path.read_text():
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
