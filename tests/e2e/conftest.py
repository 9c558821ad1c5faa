"""The e2e tier: the real ``template.yaml`` and ASL on the local cloud (moto + in-process handlers
+ the Bedrock simulator), deployed once.

Fixtures:

* ``cloud`` — a started :class:`LocalCloud` with template.yaml deployed (fast timings, one RFT
  grader allowed: :data:`E2E_GRADER`), IAM enforced; deployed once for the tier. The tier runs
  in a process of its own (``make e2e``; tests/conftest.py refuses to mix it with another
  tier): the cloud's environment, moto's backends and patches are process-wide.
* ``fresh`` (autouse) — before each test: stop running executions, wait for asynchronous
  handlers, reset the Bedrock simulator's knobs and jobs, empty the bucket except ``pipelines/``,
  clear both tables, drop captured notifications and recorded invocations. After it: fail the
  test if IAM denied a call (IAM is enforced, docs/local-cloud.md "IAM on the local cloud");
  a test that expects denials takes them (``cloud.iam.take_denials()``).
* ``upload_dataset``, ``wait_for_execution``, ``notifications`` — the helpers tests use.
* ``needs_handlers`` — skips, naming the files, while ``functions/*/app.py`` are missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EXAMPLES = ROOT / "examples"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})

pytest.importorskip("moto", reason="the e2e tier needs the 'local' extra (moto)")
pytest.importorskip("samtranslator", reason="the e2e tier needs the 'local' extra (SAM translator)")

from bedrock_tuner_localcloud.bedrock_sim import SimTiming  # noqa: E402
from bedrock_tuner_localcloud.capture import Notification  # noqa: E402
from bedrock_tuner_localcloud.server import LocalCloud  # noqa: E402

# Short simulated Bedrock stages: a job takes about 0.3 s.
E2E_TIMING = SimTiming(validation_s=0.08, data_processing_s=0.08, training_s=0.15, stopping_s=0.05)
# The reinforcement fine-tuning grader the e2e stack lets Bedrock invoke (RftGraderFunctionArns;
# the simulator checks the permission, it never calls the function).
E2E_GRADER = "arn:aws:lambda:us-east-1:123456789012:function:e2e-grader"


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    if not TEMPLATE.is_file():
        pytest.skip(f"needs {TEMPLATE.relative_to(ROOT)} (not written yet)")
    local = LocalCloud(timing=E2E_TIMING).start()
    try:
        local.deploy(
            TEMPLATE, parameters={"RftGraderFunctionArns": E2E_GRADER}, require_handlers=False
        )
        yield local
    finally:
        local.stop()


@pytest.fixture
def needs_handlers(cloud: LocalCloud) -> None:
    missing = cloud.bridge.missing_handlers()
    if missing:
        names = ", ".join(str(p.relative_to(ROOT)) for p in missing)
        pytest.skip(f"needs the handlers {names} (not written yet)")


# ------------------------------------------------------------------------------ reset
def _stop_running_executions(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    arn = cloud.stack.physical_id("CustomizationStateMachine")
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=arn, statusFilter="RUNNING"
    ):
        for execution in page["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"], error="TestReset")


def _empty_bucket(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    bucket = cloud.stack.physical_id("DataBucket")
    doomed: list[dict[str, str]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if not item["Key"].startswith("pipelines/"):
                doomed.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    for i in range(0, len(doomed), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[i : i + 1000], "Quiet": True})


def _clear_table(cloud: LocalCloud, logical_id: str) -> None:
    ddb = cloud.client("dynamodb")
    table = cloud.stack.physical_id(logical_id)
    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            ddb.delete_item(TableName=table, Key={k: item[k] for k in keys})


def reset_cloud(cloud: LocalCloud) -> None:
    """Back to a just-deployed stack (specs under pipelines/ are kept)."""
    _stop_running_executions(cloud)
    cloud.bridge.wait_idle(timeout=5)
    cloud.bedrock.reset()
    _empty_bucket(cloud)
    _clear_table(cloud, "StateTable")
    _clear_table(cloud, "IdempotencyTable")
    cloud.notifications.clear()
    cloud.bridge.clear_invocations()


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    if "cloud" not in request.fixturenames:
        yield
        return
    cloud: LocalCloud = request.getfixturevalue("cloud")
    reset_cloud(cloud)
    cloud.iam.take_denials()
    yield
    # A call the function's role does not allow fails on AWS: it must not pass unnoticed
    # here (a handler that swallows the error would hide a missing permission). A test that
    # expects denials takes them itself (cloud.iam.take_denials()).
    cloud.bridge.wait_idle(timeout=5)
    denied = cloud.iam.take_denials()
    if denied:
        lines = "\n".join(f"  {d.function}: {d.action} on {d.resource}" for d in denied)
        pytest.fail(f"IAM denied calls the template's roles should allow:\n{lines}")


# ------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Upload:
    """A dataset upload: where it went and when."""

    bucket: str
    key: str
    version_id: str | None
    etag: str
    uploaded_at: float

    @property
    def pipeline(self) -> str:
        return self.key.split("/")[1]


@pytest.fixture
def upload_dataset(cloud: LocalCloud) -> Callable[..., Upload]:
    """``upload_dataset(pipeline, data, *, spec=None, name="train.jsonl")``.

    ``data`` is a path, bytes, or a list of records (JSON lines); ``spec`` (a path, YAML text or
    a dict) is uploaded to ``pipelines/<pipeline>.yaml`` first. Returns an :class:`Upload`.
    """
    import yaml

    s3 = cloud.client("s3")
    bucket = cloud.stack.physical_id("DataBucket")

    def upload(
        pipeline: str,
        data: Path | bytes | list[dict[str, Any]],
        *,
        spec: Path | str | dict[str, Any] | None = None,
        name: str = "train.jsonl",
    ) -> Upload:
        if spec is not None:
            if isinstance(spec, Path):
                text = spec.read_text()
            elif isinstance(spec, dict):
                text = yaml.safe_dump(spec, sort_keys=False)
            else:
                text = spec
            s3.put_object(Bucket=bucket, Key=f"pipelines/{pipeline}.yaml", Body=text.encode())
        if isinstance(data, Path):
            body = data.read_bytes()
        elif isinstance(data, bytes):
            body = data
        else:
            body = b"".join(json.dumps(r).encode() + b"\n" for r in data)
        key = f"datasets/{pipeline}/{name}"
        at = time.time()
        result = s3.put_object(Bucket=bucket, Key=key, Body=body)
        return Upload(bucket, key, result.get("VersionId"), result["ETag"].strip('"'), at)

    return upload


@pytest.fixture
def wait_for_execution(cloud: LocalCloud) -> Callable[..., dict[str, Any]]:
    """``wait_for_execution(what, timeout=30)``: ``what`` is an :class:`Upload`, a run id
    (``r…``) or an execution ARN. Waits for the execution to start (for an upload or a run id)
    and to end; returns ``DescribeExecution`` (with the parsed ``input``/``output``)."""
    sfn = cloud.client("stepfunctions")
    machine = cloud.stack.physical_id("CustomizationStateMachine")

    def find(what: Upload | str) -> str | None:
        if isinstance(what, str) and what.startswith("arn:"):
            return what
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
            for execution in page["executions"]:
                if isinstance(what, str):
                    if execution["name"].endswith(f"-{what}"):
                        return str(execution["executionArn"])
                    continue
                if execution["startDate"].timestamp() < what.uploaded_at - 1:
                    continue
                described = sfn.describe_execution(executionArn=execution["executionArn"])
                dataset = json.loads(described["input"]).get("dataset", {})
                if dataset.get("key") == what.key and dataset.get("versionId") in (
                    what.version_id,
                    None,
                ):
                    return str(execution["executionArn"])
        return None

    def wait(what: Upload | str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        arn = None
        while arn is None:
            arn = find(what)
            if arn is None:
                if time.monotonic() > deadline:
                    failures = [i for i in cloud.bridge.invocations() if not i.ok]
                    raise TimeoutError(
                        f"no execution started for {what!r}; failed handlers: {failures}"
                    )
                time.sleep(0.05)
        while True:
            described = dict(sfn.describe_execution(executionArn=arn))
            if described["status"] in TERMINAL:
                described["input"] = json.loads(described.get("input") or "null")
                described["output"] = json.loads(described.get("output") or "null")
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"{arn} still {described['status']} after {timeout}s")
            time.sleep(0.05)

    return wait


@pytest.fixture
def notifications(cloud: LocalCloud) -> Callable[..., list[Notification]]:
    """``notifications(kind=None)``: what the stack published to its topic so far."""

    def get(kind: str | None = None) -> list[Notification]:
        cloud.bridge.wait_idle(timeout=5)
        return cloud.notifications.all(kind)

    return get
