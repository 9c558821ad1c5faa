"""Aliases under moto: promote (registry + SSM + deployment, in order), history, rollback,
compensation, concurrent promotions, idempotent retries, auto-promotion.

moto implements neither ``UpdateCustomModelDeployment`` nor ``GetCustomModelDeployment``
(NotImplementedError), so :class:`FakeDeployments` stands in for them at the adapter
boundary (``deps.bedrock``); DynamoDB and SSM are moto's.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from bedrock_tuner.deps import Deps, default_deps
from bedrock_tuner.errors import ConflictError, ModelNotFoundError, PromotionError
from bedrock_tuner.pipeline.spec import PipelineSpec
from bedrock_tuner.registry import aliases
from bedrock_tuner.registry.aliases import (
    alias_history,
    compare_versions,
    get_alias,
    list_families,
    maybe_auto_promote,
    promote,
    rollback,
    set_family_deployment,
)
from bedrock_tuner.registry.metrics import MetricsSummary
from bedrock_tuner.registry.versions import DatasetLineage, ModelVersion
from integration.conftest import ACCOUNT, REGION, SPEC, Cloud
from lambda_handlers import invoke

FAMILY = "support-bot"
PARAM = f"/bedrock-tuner/{FAMILY}/production"
DEPLOYMENT = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/abc123"


def model_arn(number: int) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan/m{number}"


def add_version(deps: Deps, loss: float | None, *, epochs: str = "2") -> ModelVersion:
    def build(number: int) -> ModelVersion:
        return ModelVersion(
            family=FAMILY,
            version=number,
            model_arn=model_arn(number),
            pipeline=FAMILY,
            run_id=f"run-{number}",
            job_arn=f"job-{number}",
            base_model="amazon.titan-text-express-v1:0:8k",
            customization_type="FINE_TUNING",
            hyperparameters={"epochCount": epochs},
            dataset=DatasetLineage(uri="s3://b/train.jsonl", version_id=f"v{number}"),
            metrics=MetricsSummary(training_loss=1.0, validation_loss=loss),
            registered_at=deps.now(),
        )

    job = f"job-{deps.versions.last_number(FAMILY) + 1}"
    version, _ = deps.versions.register(FAMILY, job, build)
    deps.versions.put_family(FAMILY, at=deps.now())
    return version


class FakeDeployments:
    """Bedrock's custom model deployments as the adapter returns them (moto lacks them)."""

    def __init__(self, log: list[str]) -> None:
        self.model: str | None = None
        self.log = log
        self.fail_update = False
        self.update_status = "UpdateCompleted"

    def update_custom_model_deployment(self, deployment_arn: str, model: str) -> str:
        if self.fail_update and model != self.model:
            self.log.append("deployment-failed")
            raise PromotionError("Bedrock refused to update the deployment")
        self.log.append(f"deployment:{model}")
        self.model = model
        return deployment_arn

    def get_custom_model_deployment(self, deployment_arn: str) -> dict[str, Any]:
        return {
            "customModelDeploymentArn": deployment_arn,
            "modelArn": self.model,
            "status": "Active",
            "updateDetails": {"modelArn": self.model, "updateStatus": self.update_status},
        }


@pytest.fixture
def deps(cloud: Cloud) -> Deps:
    return default_deps()


@pytest.fixture
def log(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order of the external writes: SSM, deployment, registry commit."""
    calls: list[str] = []
    put, commit = deps.ssm.put, deps.aliases.commit

    def ssm_put(name: str, value: str, **kw: Any) -> None:
        calls.append(f"ssm:{value}")
        put(name, value, **kw)

    def commit_alias(*args: Any, **kw: Any) -> None:
        calls.append("registry")
        commit(*args, **kw)

    monkeypatch.setattr(deps.ssm, "put", ssm_put)
    monkeypatch.setattr(deps.aliases, "commit", commit_alias)
    return calls


@pytest.fixture
def deployments(deps: Deps, log: list[str], monkeypatch: pytest.MonkeyPatch) -> FakeDeployments:
    fake = FakeDeployments(log)
    monkeypatch.setattr(
        deps.bedrock, "update_custom_model_deployment", fake.update_custom_model_deployment
    )
    monkeypatch.setattr(
        deps.bedrock, "get_custom_model_deployment", fake.get_custom_model_deployment
    )
    monkeypatch.setattr(aliases, "DEPLOYMENT_POLL_SECONDS", 0.0)
    return fake


def ssm_value() -> str | None:
    try:
        return str(
            boto3.client("ssm", region_name=REGION).get_parameter(Name=PARAM)["Parameter"]["Value"]
        )
    except Exception:  # noqa: BLE001 - ParameterNotFound
        return None


def test_promote_writes_ssm_then_registry_and_records_who_and_why(
    deps: Deps, log: list[str]
) -> None:
    v1 = add_version(deps, 0.9)
    change = promote(deps, FAMILY, "production", 1, by="alice", reason="first release")
    assert change.status == "succeeded"
    assert (change.version, change.previous_version, change.revision) == (1, None, 1)
    assert log == [f"ssm:{v1.model_arn}", "registry"]
    assert ssm_value() == v1.model_arn
    state = get_alias(deps, FAMILY, "production")
    assert (state.version, state.target_arn, state.revision, state.lease_id) == (
        1,
        v1.model_arn,
        1,
        None,
    )
    [entry] = alias_history(deps, FAMILY, "production")
    assert (entry.by, entry.reason, entry.action, entry.status) == (
        "alice",
        "first release",
        "promote",
        "succeeded",
    )
    assert [f.family for f in list_families(deps)] == [FAMILY]


def test_promote_with_a_deployment_swaps_the_model_behind_one_arn(
    deps: Deps, log: list[str], deployments: FakeDeployments
) -> None:
    add_version(deps, 0.9)
    v2 = add_version(deps, 0.7)
    info = set_family_deployment(deps, FAMILY, DEPLOYMENT)
    assert info.deployment_arn == DEPLOYMENT
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    change = promote(deps, FAMILY, "production", 2, by="bob", reason="better")
    assert change.target_arn == DEPLOYMENT and change.model_arn == v2.model_arn
    assert log[-3:] == [f"ssm:{DEPLOYMENT}", f"deployment:{v2.model_arn}", "registry"]
    assert ssm_value() == DEPLOYMENT
    assert deployments.model == v2.model_arn


def test_rollback_returns_to_the_previous_version_and_updates_ssm(
    deps: Deps, log: list[str]
) -> None:
    v1, v2 = add_version(deps, 0.9), add_version(deps, 0.8)
    with pytest.raises(ConflictError, match="no previous version"):
        rollback(deps, FAMILY, "production", by="carol", reason="nothing yet")
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    promote(deps, FAMILY, "production", 2, by="alice", reason=None)
    assert ssm_value() == v2.model_arn
    change = rollback(deps, FAMILY, "production", by="carol", reason="bad answers")
    assert (change.action, change.version, change.previous_version) == ("rollback", 1, 2)
    assert ssm_value() == v1.model_arn
    state = get_alias(deps, FAMILY, "production")
    assert (state.version, state.previous_version, state.revision) == (1, 2, 3)
    history = alias_history(deps, FAMILY, "production")
    assert [(h.revision, h.action, h.by) for h in history] == [
        (1, "promote", "alice"),
        (2, "promote", "alice"),
        (3, "rollback", "carol"),
    ]


def test_a_failed_deployment_update_is_compensated(
    deps: Deps, log: list[str], deployments: FakeDeployments
) -> None:
    add_version(deps, 0.9)
    v2 = add_version(deps, 0.8)
    set_family_deployment(deps, FAMILY, DEPLOYMENT)
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    v1_model = deployments.model
    deployments.fail_update = True
    with pytest.raises(PromotionError, match="undone"):
        promote(deps, FAMILY, "production", 2, by="bob", reason="try")
    assert ssm_value() == DEPLOYMENT
    assert deployments.model == v1_model != v2.model_arn
    state = get_alias(deps, FAMILY, "production")
    assert (state.version, state.revision, state.lease_id) == (1, 1, None)
    history = alias_history(deps, FAMILY, "production")
    assert [(h.status, h.version) for h in history] == [("succeeded", 1), ("failed", 2)]
    assert history[-1].error and history[-1].compensated is True
    # fixed: the retry goes through
    deployments.fail_update = False
    assert promote(deps, FAMILY, "production", 2, by="bob", reason="retry").revision == 2


def test_a_deployment_whose_update_fails_later_is_put_back(
    deps: Deps, log: list[str], deployments: FakeDeployments
) -> None:
    v1 = add_version(deps, 0.9)
    add_version(deps, 0.8)
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    set_family_deployment(deps, FAMILY, DEPLOYMENT)
    deployments.model = v1.model_arn
    deployments.update_status = "UpdateFailed"
    with pytest.raises(PromotionError):
        promote(deps, FAMILY, "production", 2, by="bob", reason=None)
    assert deployments.model == v1.model_arn  # restored
    assert ssm_value() == v1.model_arn  # the alias's previous target (no deployment then)
    assert get_alias(deps, FAMILY, "production").version == 1


def test_ssm_failure_without_a_previous_target_removes_the_parameter(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_version(deps, 0.9)
    real_commit = deps.aliases.commit

    def broken(*args: Any, **kw: Any) -> None:
        raise PromotionError("table unavailable")

    monkeypatch.setattr(deps.aliases, "commit", broken)
    with pytest.raises(PromotionError, match="undone"):
        promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    assert ssm_value() is None
    monkeypatch.setattr(deps.aliases, "commit", real_commit)
    assert promote(deps, FAMILY, "production", 1, by="alice", reason=None).status == "succeeded"


def test_failed_compensation_leaves_the_lease_and_says_how_to_repair(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_version(deps, 0.9)
    add_version(deps, 0.8)
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)

    def broken(*args: Any, **kw: Any) -> None:
        raise PromotionError("SSM is down")

    monkeypatch.setattr(deps.ssm, "put", broken)
    with pytest.raises(PromotionError) as raised:
        promote(deps, FAMILY, "production", 2, by="bob", reason=None)
    assert "rollback" in str(raised.value)
    with pytest.raises(ConflictError, match="promotion of production in progress"):
        promote(deps, FAMILY, "production", 2, by="bob", reason=None)
    assert alias_history(deps, FAMILY, "production")[-1].compensated is False


def test_concurrent_promotions_of_one_alias_cannot_interleave(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_version(deps, 0.9)
    v2 = add_version(deps, 0.8)
    in_ssm, release = threading.Event(), threading.Event()
    put = deps.ssm.put

    def slow_put(name: str, value: str, **kw: Any) -> None:
        if threading.current_thread().name == "first":
            in_ssm.set()
            assert release.wait(10)
        put(name, value, **kw)

    monkeypatch.setattr(deps.ssm, "put", slow_put)
    results: dict[str, Any] = {}

    def run(name: str, version: int) -> None:
        try:
            results[name] = promote(deps, FAMILY, "production", version, by=name, reason=None)
        except ConflictError as exc:
            results[name] = exc

    first = threading.Thread(target=run, args=("first", 2), name="first")
    first.start()
    assert in_ssm.wait(10)
    second = threading.Thread(target=run, args=("second", 1), name="second")
    second.start()
    second.join(10)
    release.set()
    first.join(10)
    assert isinstance(results["second"], ConflictError)
    assert "promotion of production in progress" in str(results["second"])
    assert results["first"].status == "succeeded"
    state = get_alias(deps, FAMILY, "production")
    assert (state.version, state.revision, state.lease_id) == (2, 1, None)
    assert ssm_value() == v2.model_arn
    assert len(alias_history(deps, FAMILY, "production")) == 1


def test_promoting_again_is_a_no_op(deps: Deps, log: list[str]) -> None:
    add_version(deps, 0.9)
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    again = promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    assert again.status == "unchanged"
    assert log.count("registry") == 1
    assert get_alias(deps, FAMILY, "production").revision == 1
    with pytest.raises(ModelNotFoundError):
        promote(deps, FAMILY, "production", 9, by="alice", reason=None)


def test_compare_versions(deps: Deps) -> None:
    add_version(deps, 0.9, epochs="2")
    add_version(deps, 0.6, epochs="3")
    result = compare_versions(deps, FAMILY, 1, 2)
    assert result.better == 2
    assert result.hyperparameters["epochCount"].b == "3"
    assert set(result.dataset) == {"versionId"}


def test_auto_promotion_promotes_only_when_better(deps: Deps) -> None:
    spec = PipelineSpec.model_validate(
        {
            "base_model": "amazon.titan-text-express-v1:0:8k",
            "promotion": "auto_if_better",
            "validation": {"split_ratio": 0.1},
        }
    )
    manual = spec.model_copy(update={"promotion": "manual"})
    v1 = add_version(deps, 0.9)
    assert maybe_auto_promote(deps, FAMILY, v1, manual) is None
    first = maybe_auto_promote(deps, FAMILY, v1, spec)
    assert first is not None and first.status == "promoted"
    assert first.change is not None
    assert (first.change.action, first.change.by) == ("auto_promote", "pipeline")
    worse = maybe_auto_promote(deps, FAMILY, add_version(deps, 0.95), spec)
    assert worse is not None and worse.status == "skipped"
    assert get_alias(deps, FAMILY, "production").version == 1
    better = maybe_auto_promote(deps, FAMILY, add_version(deps, 0.5).version, spec)
    assert better is not None and better.status == "promoted"
    assert get_alias(deps, FAMILY, "production").version == 3


AUTO = "promotion: auto_if_better\npromotion_metric: training_loss\n"


def test_register_step_auto_promotes_and_a_failure_does_not_fail_it(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integration.test_register_model_version import completed

    state = completed(cloud, spec=SPEC + AUTO)
    output = invoke("register_model_version", state)
    assert output["version"] == 1
    assert output["promotion"]["status"] == "promoted"
    assert ssm_value() == output["modelArn"]

    def broken(*args: Any, **kw: Any) -> None:
        raise PromotionError("SSM is down")

    monkeypatch.setattr(default_deps().ssm, "put", broken)
    second = completed(cloud, spec=SPEC + AUTO, key="datasets/support-bot/b.jsonl")
    monkeypatch.setattr(
        aliases, "auto_promotion_decision", lambda *a, **kw: (True, "forced for the test")
    )
    output = invoke("register_model_version", second)
    assert output["version"] == 2
    assert output["promotion"]["status"] == "failed"
    assert "SSM is down" in output["promotion"]["error"]
    assert get_alias(default_deps(), "support-bot", "production").version == 1


def test_expected_revision_guards_against_a_change_in_between(deps: Deps) -> None:
    add_version(deps, 0.9)
    add_version(deps, 0.8)
    promote(deps, FAMILY, "production", 1, by="alice", reason=None)
    with pytest.raises(ConflictError, match="revision 1, not 0"):
        promote(deps, FAMILY, "production", 2, by="bob", reason=None, expected_revision=0)
    state = get_alias(deps, FAMILY, "production")
    assert (state.version, state.lease_id) == (1, None)
    change = promote(deps, FAMILY, "production", 2, by="bob", reason=None, expected_revision=1)
    assert change.revision == 2
