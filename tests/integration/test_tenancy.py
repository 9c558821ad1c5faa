"""Tenancy (issue 8, item 5, scenario D6): a model family belongs to the pipeline that created
it (or to the pipelines its owner lists in ``family_writers``); validation data comes from the
pipeline's own prefix (or the stack's ``SharedDataPrefixes``). A spec that reaches further is a
spec error before anything starts; registration and auto-promotion check the owner again in
their conditional writes, so a spec changed mid-run cannot slip through."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import ForbiddenError, PromotionError
from bedrock_tuner.models.versions import FamilyInfo
from bedrock_tuner.registry.aliases import get_alias, promote
from integration.conftest import BUCKET, Cloud
from integration.helpers import RECORDS
from integration.test_api import call
from lambda_handlers import invoke

BASE = (
    "base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 25, max_usd: 500}\n"
)
VICTIM = "support-bot"
INTRUDER = "intruder"
# D6: another pipeline registers into the victim's family, moves its production alias (any new
# version with a training loss wins against a target without one) and trains on its data.
HOSTILE = BASE + (
    f"model_family: {VICTIM}\npromotion: auto_if_better\npromotion_metric: training_loss\n"
)


def upload_run(cloud: Cloud, pipeline: str, spec: str, name: str = "train.jsonl") -> Any:
    """Put ``pipeline``'s spec, upload a dataset under its prefix; the upload's outcome."""
    cloud.put_spec(pipeline, spec)
    key = f"datasets/{pipeline}/{name}"
    uploaded = cloud.upload(key, RECORDS)
    return invoke("on_dataset_uploaded", cloud.s3_event(key, uploaded))


def spec_uploaded(cloud: Cloud, pipeline: str, spec: str) -> Any:
    """Put ``pipeline``'s spec and deliver its upload event (the spec check)."""
    cloud.put_spec(pipeline, spec)
    key = f"pipelines/{pipeline}.yaml"
    head = cloud.s3.head_object(Bucket=BUCKET, Key=key)
    uploaded = {"versionId": head.get("VersionId"), "etag": head["ETag"].strip('"'), "size": 1}
    return invoke("on_dataset_uploaded", cloud.s3_event(key, uploaded))


def trained(cloud: Cloud, pipeline: str, spec: str, name: str = "train.jsonl") -> dict[str, Any]:
    """A run of ``pipeline`` walked to a completed job (the state the register step gets)."""
    result = upload_run(cloud, pipeline, spec, name)
    assert result["status"] == "started", result
    state = cloud.execution_input(result["executionArn"])
    state["settings"] = {"slotHolder": f"{pipeline}-{state['runId']}"}
    state["validation"] = invoke("validate_dataset", state)
    assert state["validation"]["valid"], state["validation"]
    state["job"] = invoke("start_customization_job", state)
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=state["job"]["jobName"])
    state["jobResult"] = {
        "status": "Completed",
        "failureMessage": None,
        "outputModelArn": described["outputModelArn"],
        "trainingLoss": 0.5,
        "validationLoss": None,
    }
    return state


def victim_with_production_at_v1(cloud: Cloud, spec: str = BASE) -> None:
    state = trained(cloud, VICTIM, spec)
    assert invoke("register_model_version", state)["version"] == 1
    promote(default_deps(), VICTIM, "production", 1, by="victim-team", reason="release")


def versions(family: str) -> list[tuple[int, str]]:
    return [(v.version, v.pipeline) for v in default_deps().versions.of_family(family)]


# ------------------------------------------------------------------------------ D6: family
def test_a_spec_naming_another_pipelines_family_never_starts(cloud: Cloud) -> None:
    victim_with_production_at_v1(cloud)
    cloud.notifications()
    # When another pipeline's spec names the victim's family (and would auto-promote)
    result = upload_run(cloud, INTRUDER, HOSTILE)
    # Then it is a spec error at once: no execution, the message names the owner and the fix
    assert result["status"] == "spec_error", result
    assert [e["name"] for e in cloud.executions()] == [
        e["name"] for e in cloud.executions() if e["name"].startswith(VICTIM)
    ]
    [note] = [n for n in cloud.notifications() if n["kind"] == "spec_error"]
    assert f"belongs to pipeline {VICTIM}" in note["text"], note["text"]
    assert "family_writers" in note["text"]
    # and the victim's family and alias are as they were
    assert versions(VICTIM) == [(1, VICTIM)]
    assert get_alias(default_deps(), VICTIM, "production").version == 1
    family = cloud.item("FAMILIES", f"FAMILY#{VICTIM}")
    assert family is not None and family["owner"] == VICTIM


def test_the_owner_shares_its_family_through_family_writers(cloud: Cloud) -> None:
    victim_with_production_at_v1(cloud, BASE + f"family_writers: [{INTRUDER}]\n")
    state = trained(cloud, INTRUDER, HOSTILE)
    output = invoke("register_model_version", state)
    assert output["version"] == 2 and output["promotion"]["status"] == "skipped"
    assert versions(VICTIM) == [(1, VICTIM), (2, INTRUDER)]
    family = cloud.item("FAMILIES", f"FAMILY#{VICTIM}")
    assert family is not None
    assert family["owner"] == VICTIM and family["writers"] == [INTRUDER]


def test_a_writer_removed_mid_run_cannot_register_or_promote(cloud: Cloud) -> None:
    # Given the owner shared its family, and the other pipeline's run started then
    victim_with_production_at_v1(cloud, BASE + f"family_writers: [{INTRUDER}]\n")
    state = trained(cloud, INTRUDER, HOSTILE)
    # When the owner takes the share back before that job ends (a new spec is checked)
    assert spec_uploaded(cloud, VICTIM, BASE)["status"] == "subscribed"
    # Then the registration's conditional write refuses it: no version, no promotion
    with pytest.raises(ForbiddenError, match=f"belongs to pipeline {VICTIM}"):
        invoke("register_model_version", state)
    assert versions(VICTIM) == [(1, VICTIM)]
    assert get_alias(default_deps(), VICTIM, "production").version == 1
    assert default_deps().versions.last_number(VICTIM) == 1


def test_auto_promotion_checks_the_family_in_its_commit(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim_with_production_at_v1(cloud, BASE + f"family_writers: [{INTRUDER}]\n")
    state = trained(cloud, INTRUDER, HOSTILE)
    deps = default_deps()
    manual = {**state["spec"], "promotion": "manual", "promotion_metric": None}
    assert invoke("register_model_version", {**state, "spec": manual})["version"] == 2
    spec_uploaded(cloud, VICTIM, BASE)  # the share is taken back
    # A promotion that read the family before the change (stale) still cannot commit
    stale = FamilyInfo(family=VICTIM, owner=VICTIM, writers=[INTRUDER])
    monkeypatch.setattr(deps.versions, "get_family", lambda family: stale)
    with pytest.raises(PromotionError, match=f"belongs to pipeline {VICTIM}"):
        promote(deps, VICTIM, "production", 2, by="pipeline", reason="auto", pipeline=INTRUDER)
    monkeypatch.undo()
    assert get_alias(deps, VICTIM, "production").version == 1
    assert (
        deps.ssm.get(f"/bedrock-tuner/{VICTIM}/production")
        == get_alias(deps, VICTIM, "production").target_arn
    )


def test_uploading_a_spec_claims_its_family(cloud: Cloud) -> None:
    assert spec_uploaded(cloud, VICTIM, BASE)["status"] == "subscribed"
    cloud.notifications()
    outcome = spec_uploaded(cloud, INTRUDER, HOSTILE)
    assert outcome["status"] == "spec_error" and f"pipeline {VICTIM}" in outcome["reason"]
    [note] = cloud.notifications()
    assert note["kind"] == "spec_error"


def test_put_pipeline_refuses_another_pipelines_family(cloud: Cloud) -> None:
    assert call("PUT", f"/pipelines/{VICTIM}", body={"spec": BASE}).status == 200
    problem = call("PUT", f"/pipelines/{INTRUDER}", body={"spec": HOSTILE}).problem(422, "BT_SPEC")
    [item] = problem["problems"]
    assert item["path"] == "model_family" and VICTIM in item["message"]
    assert "family_writers" in item["fix"]
    assert cloud.item("FAMILIES", f"FAMILY#{VICTIM}")["owner"] == VICTIM  # type: ignore[index]


def test_family_writers_in_a_spec_that_does_not_own_the_family_is_refused(cloud: Cloud) -> None:
    spec_uploaded(cloud, VICTIM, BASE)
    bad = BASE + f"model_family: {VICTIM}\nfamily_writers: [someone]\n"
    problem = call("PUT", f"/pipelines/{INTRUDER}", body={"spec": bad}).problem(422, "BT_SPEC")
    assert {item["path"] for item in problem["problems"]} == {"model_family", "family_writers"}


def test_models_show_the_owner_and_writers(cloud: Cloud) -> None:
    spec_uploaded(cloud, VICTIM, BASE + f"family_writers: [{INTRUDER}]\n")
    [family] = call("GET", "/models").json()
    assert family["family"] == VICTIM
    assert family["owner"] == VICTIM and family["writers"] == [INTRUDER]


# ------------------------------------------------------------------------------ D6: data
@pytest.mark.parametrize(
    "where",
    [
        f"datasets/{VICTIM}/private.jsonl",  # another pipeline's private validation data
        f"s3://{BUCKET}/datasets/{VICTIM}/private.jsonl",
        "s3://any-bucket-at-all/validation.jsonl",  # any bucket
    ],
)
def test_validation_data_outside_the_pipelines_prefix_never_starts(
    cloud: Cloud, where: str
) -> None:
    cloud.upload(f"datasets/{VICTIM}/private.jsonl", RECORDS[:3])
    spec = BASE + f"validation: {{file: '{where}'}}\n"
    result = upload_run(cloud, INTRUDER, spec)
    assert result["status"] == "spec_error", result
    assert "validation.file" in result["reason"] and f"datasets/{INTRUDER}/" in result["reason"]
    assert cloud.executions() == []


def test_the_stacks_shared_prefixes_are_allowed(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_tuner.deps import reset_deps
    from bedrock_tuner.settings import reset_settings

    monkeypatch.setenv("BT_SHARED_DATA_PREFIXES", "datasets/shared-eval/")
    reset_settings()
    reset_deps()
    cloud.upload("datasets/shared-eval/golden.jsonl", RECORDS[:3])
    spec = BASE + "validation: {file: datasets/shared-eval/golden.jsonl}\n"
    result = upload_run(cloud, INTRUDER, spec)
    assert result["status"] == "started", result
    # and an upload under a shared prefix is shared data, not a run of a pipeline "shared-eval"
    uploaded = cloud.upload("datasets/shared-eval/golden.jsonl", RECORDS[:4])
    event = cloud.s3_event("datasets/shared-eval/golden.jsonl", uploaded)
    outcome = invoke("on_dataset_uploaded", event)
    assert outcome["status"] == "ignored" and "shared" in outcome["reason"]


def test_a_stored_spec_naming_another_pipelines_family_shows_the_problem(cloud: Cloud) -> None:
    spec_uploaded(cloud, VICTIM, BASE)
    cloud.put_spec(INTRUDER, HOSTILE)  # written straight to the bucket, never checked
    got = call("GET", f"/pipelines/{INTRUDER}").json()
    assert got["spec"] is None
    [problem] = got["error"]["problems"]
    assert problem["path"] == "model_family" and VICTIM in problem["message"]
    family = cloud.item("FAMILIES", f"FAMILY#{VICTIM}")
    assert family is not None and family["owner"] == VICTIM  # reading claims nothing
