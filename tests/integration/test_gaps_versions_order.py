"""`bedrock-tuner versions list FAMILY` prints the versions in the order docs/cli.md documents
(issue 7, finding 13): oldest first, as the API returns them. Twelve versions, so that an order
by text (1, 10, 11, 12, 2 …) or newest first shows. The API's answer is recorded from the API
function under moto and served to the CLI by the fake API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.deps import default_deps
from bedrock_tuner.registry.metrics import MetricsSummary
from bedrock_tuner.registry.versions import DatasetLineage, ModelVersion
from bedrock_tuner_cli.main import main
from cli_env import isolate_cli
from fake_api import FakeApi
from integration.conftest import ACCOUNT, REGION, Cloud
from integration.test_api import api_event
from lambda_handlers import invoke

ROOT = Path(__file__).resolve().parents[2]
FAMILY = "support-bot"
COUNT = 12


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli(monkeypatch, tmp_path)


def register_versions(count: int) -> None:
    deps = default_deps()
    for _ in range(count):

        def build(number: int) -> ModelVersion:
            return ModelVersion(
                family=FAMILY,
                version=number,
                model_arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan/m{number}",
                pipeline=FAMILY,
                run_id=f"run-{number}",
                job_arn=f"job-{number}",
                base_model="amazon.titan-text-express-v1:0:8k",
                customization_type="FINE_TUNING",
                hyperparameters={"epochCount": "2"},
                dataset=DatasetLineage(uri="s3://b/train.jsonl", version_id=f"v{number}"),
                metrics=MetricsSummary(training_loss=1.0, validation_loss=0.5),
                registered_at=deps.now(),
            )

        deps.versions.register(FAMILY, f"job-{deps.versions.last_number(FAMILY) + 1}", build)
    deps.versions.put_family(FAMILY, at=deps.now())


def recorded_versions() -> Any:
    """``GET /models/{family}/versions`` through the API function."""
    reply = invoke("api", api_event("GET", f"/models/{FAMILY}/versions"))
    assert reply["statusCode"] == 200, reply
    return json.loads(reply["body"])


def printed_versions(out: str) -> list[int]:
    lines = out.splitlines()
    assert lines[0].startswith("VERSION "), out
    return [int(line.split()[0]) for line in lines[1:] if line.strip()]


def test_the_documented_order_is_oldest_first() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.search(r"`versions list` shows the versions oldest first", text)


def test_versions_list_prints_the_versions_oldest_first(
    cloud: Cloud, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    register_versions(COUNT)
    answer = recorded_versions()
    fake.route("GET", f"/models/{FAMILY}/versions", answer)
    capsys.readouterr()
    assert main(["versions", "list", FAMILY, "--api-url", fake.url]) == 0
    assert printed_versions(capsys.readouterr().out) == list(range(1, COUNT + 1))
    assert main(["versions", "list", FAMILY, "--api-url", fake.url, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == answer  # the API's list, as it came
    assert [v["version"] for v in printed] == list(range(1, COUNT + 1))


def test_the_cli_keeps_the_apis_order(
    fake: FakeApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI prints what the API returned, in that order (it does not sort again)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE000000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    versions = [{"family": FAMILY, "version": n} for n in (3, 1, 2)]
    fake.route("GET", f"/models/{FAMILY}/versions", versions)  # the API's shape: a list
    assert main(["versions", "list", FAMILY, "--api-url", fake.url]) == 0
    assert printed_versions(capsys.readouterr().out) == [3, 1, 2]
