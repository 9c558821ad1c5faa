"""Fault plans (localcloud/faults.py): strict checking with coded errors, and which calls fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.stub import Stubber

pytest.importorskip("moto", reason="the local cloud needs the 'local' extra")

from bedrock_tuner_localcloud.calls import running_function
from bedrock_tuner_localcloud.faults import (
    FaultInjector,
    FaultPlanError,
    aws_error_status,
    load_plan,
    parse_plan,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["NotifyFunction", "RegisterModelVersionFunction", "TrackJobFunction"]


def problem(data: Any) -> FaultPlanError:
    with pytest.raises(FaultPlanError) as caught:
        parse_plan(data, functions=FUNCTIONS)
    assert caught.value.code == "BT_FAULT_PLAN"
    assert caught.value.fix
    return caught.value


# ------------------------------------------------------------------------------ checking
def test_the_documented_plan_is_accepted() -> None:
    plan = parse_plan(
        {
            "faults": [
                {
                    "service": "stepfunctions",
                    "operation": "SendTaskSuccess",
                    "error": "ThrottlingException",
                    "times": 1,
                    "after": 0,
                },
                {"function": "RegisterModelVersionFunction", "error": "crash", "times": 1},
            ],
            "bedrock": {
                "fail": [{"job": "support", "stage": "training", "message": "OOM"}],
                "stall": [{"stage": "dataProcessing"}],
                "drop_events": [{"statuses": ["Completed"]}],
                "duplicate_events": True,
                "reorder_events": True,
                "throttle_creates": 2,
            },
        },
        functions=FUNCTIONS,
    )
    assert [f.error for f in plan.faults] == ["ThrottlingException", "crash"]
    assert plan.bedrock.stall[0].stage == "dataProcessing"
    assert len(plan.summary()) == 8


@pytest.mark.parametrize(
    ("rule", "path", "fix"),
    [
        ({"service": "sns", "operation": "Publish", "eror": "Throttled"}, ".eror", "'error'"),
        ({"service": "stepfuncions", "error": "X"}, ".service", "'stepfunctions'"),
        (
            {"service": "stepfunctions", "operation": "send_task_success", "error": "X"},
            ".operation",
            "'SendTaskSuccess'",
        ),
        ({"service": "sns", "error": "throttle"}, ".error", "ThrottlingException"),
        ({"function": "RegisterModelVersion", "error": "crash"}, ".function", "Function'"),
        ({"service": "s3", "error": "AccessDenied", "times": 0}, ".times", "always"),
        ({"service": "s3", "error": "AccessDenied", "times": "forever"}, ".times", "always"),
    ],
)
def test_a_wrong_rule_names_its_key_and_the_fix(rule: dict[str, Any], path: str, fix: str) -> None:
    error = problem({"faults": [rule]})
    assert error.message.startswith(f"fault plan: faults[0]{path}:")
    assert fix in (error.fix or "")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"fault": []}, "unknown key 'fault'"),
        ([1, 2], "not a list"),
        ({"faults": [{"error": "crash"}]}, "needs the function"),
        (
            {"faults": [{"function": "NotifyFunction", "service": "sns", "error": "crash"}]},
            "drop service",
        ),
        ({"faults": [{"operation": "Publish", "error": "X"}]}, "give the service"),
        ({"bedrock": {"fail": [{"stage": "train"}]}}, "bedrock.fail[0].stage"),
        ({"bedrock": {"dupliate_events": True}}, "unknown key 'dupliate_events'"),
        ({"bedrock": {"drop_events": [{"statuses": ["Done"]}]}}, "statuses"),
    ],
)
def test_a_wrong_plan_is_refused_with_a_coded_error(data: Any, says: str) -> None:
    assert says in problem(data).message


def test_every_problem_is_listed_for_the_cli() -> None:
    error = problem({"faults": [{"service": "s3", "eror": "X"}, {"service": "s3", "error": "y"}]})
    paths = [item["path"] for item in error.problem["problems"]]
    assert paths == ["faults[0].eror", "faults[0].error", "faults[1].error"]
    assert "(and 2 more)" in error.message


def test_a_plan_file_with_bad_yaml_or_missing_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(FaultPlanError, match="cannot read"):
        load_plan(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("faults:\n  - service: s3\n   error: X\n")
    with pytest.raises(FaultPlanError, match=r"not valid YAML \(line 3"):
        load_plan(bad)


def test_functions_are_checked_against_the_template() -> None:
    path = ROOT / "examples" / "faults" / "register-crash.yaml"
    plan = load_plan(path, template=ROOT / "template.yaml")
    assert plan.faults[0].function == "RegisterModelVersionFunction"


@pytest.mark.parametrize("sample", sorted((ROOT / "examples" / "faults").glob("*.yaml")))
def test_every_sample_plan_is_valid(sample: Path) -> None:
    assert load_plan(sample, template=ROOT / "template.yaml").summary()


# ------------------------------------------------------------------------------ injecting
class _Bridge:
    def __init__(self) -> None:
        self.functions = dict.fromkeys(FUNCTIONS)
        self.hooks: list[Any] = []

    def add_invoke_hook(self, hook: Any) -> Any:
        self.hooks.append(hook)
        return lambda: self.hooks.remove(hook)


class _Cloud:
    def __init__(self) -> None:
        self.bridge = _Bridge()
        self.bedrock = None


def _s3(responses: int) -> Any:
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stub = Stubber(s3)
    for _ in range(responses):
        stub.add_response("list_buckets", {"Buckets": []})
    stub.activate()
    return s3


def _arm(rules: list[dict[str, Any]]) -> FaultInjector:
    plan = parse_plan({"faults": rules}, functions=FUNCTIONS)
    injector = FaultInjector(plan)
    injector.install(_Cloud())  # type: ignore[arg-type]
    return injector


def _outcomes(s3: Any, n: int, function: str = "NotifyFunction") -> list[str]:
    seen = []
    for _ in range(n):
        try:
            with running_function(function):
                s3.list_buckets()
            seen.append("ok")
        except ClientError as exc:
            seen.append(exc.response["Error"]["Code"])
        except ReadTimeoutError:
            seen.append("timeout")
    return seen


def test_after_and_times_pick_which_matching_calls_fail() -> None:
    injector = _arm(
        [{"service": "s3", "operation": "ListBuckets", "error": "SlowDown", "after": 1, "times": 2}]
    )
    try:
        s3 = _s3(3)
        assert _outcomes(s3, 5) == ["ok", "SlowDown", "SlowDown", "ok", "ok"]
        assert len(injector.injected) == 2 and injector.exhausted()
    finally:
        injector.remove()


def test_always_fails_every_call_of_that_function_only() -> None:
    injector = _arm(
        [
            {
                "function": "NotifyFunction",
                "service": "s3",
                "error": "AccessDenied",
                "times": "always",
            }
        ]
    )
    try:
        s3 = _s3(1)
        assert _outcomes(s3, 3) == ["AccessDenied"] * 3
        assert _outcomes(s3, 1, function="TrackJobFunction") == ["ok"]
        assert len(injector.injected) == 3
    finally:
        injector.remove()


def test_timeout_is_botocores_read_timeout() -> None:
    injector = _arm([{"service": "s3", "error": "timeout"}])
    try:
        assert _outcomes(_s3(1), 2) == ["timeout", "ok"]
    finally:
        injector.remove()


def test_the_status_is_the_one_aws_answers_with() -> None:
    assert aws_error_status("bedrock", "ThrottlingException") == 429
    assert aws_error_status("sns", "AuthorizationError") == 403
    assert aws_error_status("s3", "SlowDown") == 503


def test_crash_fails_the_invocation_before_the_handler() -> None:
    from bedrock_tuner_localcloud.bridge import FunctionCrash

    cloud = _Cloud()
    plan = parse_plan(
        {"faults": [{"function": "TrackJobFunction", "error": "crash", "times": 1}]},
        functions=FUNCTIONS,
    )
    injector = FaultInjector(plan).install(cloud)  # type: ignore[arg-type]
    [hook] = cloud.bridge.hooks
    hook("NotifyFunction")  # another function: runs
    with pytest.raises(FunctionCrash):
        hook("TrackJobFunction")
    hook("TrackJobFunction")  # once only
    assert [(i.function, i.error) for i in injector.injected] == [("TrackJobFunction", "crash")]
    injector.remove()
    assert cloud.bridge.hooks == []


def test_calls_outside_a_function_are_never_failed() -> None:
    injector = _arm([{"service": "s3", "error": "SlowDown", "times": "always"}])
    try:
        assert _s3(1).list_buckets()["Buckets"] == []
    finally:
        injector.remove()


# ------------------------------------------------------------------------------ the docs
def _doc_blocks() -> list[str]:
    """The fenced blocks of docs/local-cloud.md's "Fault plans" section (tests/docs runs its
    shell blocks; these tests check what the runner cannot: the reference plan parses)."""
    import re

    text = (ROOT / "docs" / "local-cloud.md").read_text()
    section = text.split("## Fault plans", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```[a-z]*\n(.*?)^```$", section, re.M | re.S)


def test_the_plan_in_the_docs_is_valid() -> None:
    import yaml

    [block] = [b for b in _doc_blocks() if b.startswith("faults:") and "bedrock:" in b]
    functions = ["OnJobStateChangeFunction", "RegisterModelVersionFunction"]
    plan = parse_plan(yaml.safe_load(block), functions=functions)
    assert {f.error for f in plan.faults} == {"ThrottlingException", "crash"}
    assert plan.bedrock.stall[0].stage == "training"


def test_the_commands_in_the_docs_use_sample_plans_that_load() -> None:
    import re

    blocks = [b for b in _doc_blocks() if b.startswith("bedrock-tuner local")]
    plans = [p for block in blocks for p in re.findall(r"--faults (\S+)", block)]
    assert len(plans) == 3
    for plan in plans:
        assert load_plan(ROOT / plan, template=ROOT / "template.yaml").summary()


def test_the_error_in_the_docs_is_what_the_cli_says() -> None:
    [block] = [b for b in _doc_blocks() if b.startswith("$ ")]
    _, error, fix = block.strip().splitlines()
    with pytest.raises(FaultPlanError) as caught:
        parse_plan(
            {
                "faults": [
                    {
                        "service": "stepfunctions",
                        "operation": "SendTaskSucess",
                        "error": "ThrottlingException",
                    }
                ]
            },
            source="plan.yaml",
        )
    assert error == f"error [{caught.value.code}]: {caught.value.message}"
    assert fix == f"fix: {caught.value.fix}"
