"""The table helper and the per-aggregate stores against DynamoDB as moto evaluates it: the
built expressions are accepted and do what they say, and each store's answer to a failed
condition (the helper re-reads the item) is the documented one (docs/table-design.md)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from bedrock_tuner.aws.store import (
    DynamoAliasStore,
    DynamoApprovalStore,
    DynamoJobStore,
    DynamoRunStore,
    DynamoVersionStore,
    Table,
)
from bedrock_tuner.aws.store.table import (
    Attr,
    TransactionCancelled,
    TxCheck,
    TxPut,
    TxUpdate,
    Update,
    key,
)
from bedrock_tuner.errors import ConflictError, RunNotFoundError
from bedrock_tuner.models.aliases import AliasChange, AliasState
from bedrock_tuner.models.jobs import JobState
from bedrock_tuner.models.runs import DatasetRef, Run, RunStatus, Step
from bedrock_tuner.models.versions import FamilyInfo
from integration.conftest import TABLE, Cloud

AT = "2026-11-28T12:00:00.000Z"
LATER = "2026-11-28T12:05:00.000Z"


class Thing(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str | None = None
    count: int = 0
    tags: list[str] = []
    steps: list[str] = []
    notes: dict[str, Any] = {}


@pytest.fixture
def table(cloud: Cloud) -> Table:
    return Table(TABLE)


def test_every_kind_of_change_is_applied_by_dynamodb(table: Table, cloud: Cloud) -> None:
    thing = key("THING#1", "THING")
    table.put({**thing, "status": "new", "old": "x", "tags": {"a", "b"}})
    for _ in range(2):
        table.update(
            thing,
            Update(
                set={"status": "seen", "old": None},
                if_absent={"firstSeen": AT},
                append={"steps": ["s"]},
                add={"count": 1},
            ),
        )
    table.update(thing, Update(delete={"tags": {"a"}}, if_absent={"notes": {}}))
    table.update(thing, Update(set={("notes", "k"): 1.5}))
    item = cloud.item("THING#1", "THING")
    assert item is not None
    assert item["status"] == "seen" and "old" not in item
    assert item["firstSeen"] == AT
    assert item["steps"] == ["s", "s"]
    assert item["count"] == 2
    assert item["tags"] == {"b"}
    assert item["notes"] == {"k": 1.5}
    assert table.get(thing, Thing) == Thing(
        status="seen", count=2, tags=["b"], steps=["s", "s"], notes={"k": 1.5}
    )


def test_a_failed_condition_returns_the_item_as_it_is_now(table: Table) -> None:
    thing = key("THING#2", "THING")
    first = table.write(thing, Thing, put={"status": "one"}, condition=Attr("PK").not_exists())
    assert first.written and first.item == Thing(status="one")
    again = table.write(thing, Thing, put={"status": "two"}, condition=Attr("PK").not_exists())
    assert not again.written and again.item == Thing(status="one")
    moved = table.write(
        thing,
        Thing,
        update=Update(set={"status": "three"}, add={"count": 5}),
        condition=Attr("status").eq("one"),
    )
    assert moved.written and moved.item == Thing(status="three", count=5)
    stale = table.write(
        thing, Thing, update=Update(set={"status": "four"}), condition=Attr("status").eq("one")
    )
    assert not stale.written and stale.item == Thing(status="three", count=5)
    missing = table.write(
        key("THING#none", "THING"),
        Thing,
        update=Update(set={"status": "x"}),
        condition=Attr("PK").exists(),
    )
    assert not missing.written and missing.item is None


def test_a_transaction_reports_the_item_whose_condition_failed(table: Table, cloud: Cloud) -> None:
    counter, owner = key("THING#3", "COUNTER"), key("THING#3", "OWNER")
    table.put({**counter, "last": 1})
    table.put({**owner, "owner": "p"})
    with pytest.raises(TransactionCancelled) as caught:
        table.transact(
            TxUpdate(counter, Update(set={"last": 2}), Attr("last").eq(1)),
            TxPut({**key("THING#3", "V#2"), "v": 2}, Attr("PK").not_exists()),
            TxCheck(owner, Attr("owner").eq("q")),
        )
    assert caught.value.condition_failed_at(2) and not caught.value.condition_failed_at(0)
    assert cloud.item("THING#3", "COUNTER") == {"PK": "THING#3", "SK": "COUNTER", "last": 1}
    assert cloud.item("THING#3", "V#2") is None


# --------------------------------------------------------------------------- the stores


def a_run(run_id: str = "r000000000001") -> Run:
    return Run(
        run_id=run_id,
        pipeline="support-bot",
        dataset=DatasetRef(bucket="b", key="datasets/support-bot/t.jsonl"),
        created_at=AT,
        updated_at=AT,
    )


def test_runs_an_ended_run_keeps_its_ending_and_records_the_rest(
    table: Table, cloud: Cloud
) -> None:
    runs = DynamoRunStore(table)
    run, created = runs.create(a_run())
    assert created and runs.create(a_run()) == (run, False)
    assert [r.run_id for r in runs.active()] == [run.run_id]
    assert runs.update(run.run_id, status=RunStatus.FAILED, fields={"error": {"Error": "E"}})
    assert runs.active() == []
    later = Step(name="job", status="ended", at=LATER)
    applied = runs.update(
        run.run_id, status=RunStatus.SUCCEEDED, step=later, fields={"error": None, "outcome": "x"}
    )
    assert not applied
    stored = runs.require(run.run_id)
    assert stored.status == RunStatus.FAILED and stored.error == {"Error": "E"}
    assert stored.outcome is None and stored.steps == [later] and stored.updated_at == LATER
    with pytest.raises(RunNotFoundError):
        runs.update("r0000000000ff", status=RunStatus.FAILED)


def test_runs_one_claim_per_notification(table: Table) -> None:
    runs = DynamoRunStore(table)
    run, _ = runs.create(a_run())
    assert runs.claim_notification(run.run_id, "succeeded") is None
    assert runs.claim_notification(run.run_id, "succeeded") == "pending"
    runs.record_notification(run.run_id, "succeeded", "m-1")
    assert runs.claim_notification(run.run_id, "succeeded") == "m-1"
    assert runs.claim_notification(run.run_id, "failed") is None
    runs.release_notification(run.run_id, "failed")
    assert runs.require(run.run_id).notifications == {"succeeded": "m-1"}


def test_approvals_are_decided_once(table: Table) -> None:
    approvals = DynamoApprovalStore(table)
    approvals.request("r1", token="t", cost_usd=12.5, requested_at=AT, pipeline="p")
    assert [a.run_id for a in approvals.pending()] == ["r1"]
    decided = approvals.decide("r1", approved=True, by="alice", reason=None, decided_at=LATER)
    assert decided.status == "APPROVED" and decided.delivered is False
    assert approvals.pending() == []
    # the same decision, not delivered yet: returned for another resume; any other: conflict
    assert approvals.decide("r1", approved=True, by="alice", reason=None, decided_at=LATER)
    with pytest.raises(ConflictError, match="already approved by alice"):
        approvals.decide("r1", approved=False, by="bob", reason="no", decided_at=LATER)
    # a retried request after the decision gets the decision back, unchanged
    again = approvals.request("r1", token="t2", cost_usd=None, requested_at=LATER, pipeline="p")
    assert again.status == "APPROVED" and again.task_token == "t"
    with pytest.raises(RunNotFoundError):
        approvals.decide("r2", approved=True, by="alice", reason=None, decided_at=LATER)
    assert not approvals.expire("r1", only_pending=True)


def test_jobs_never_move_backwards(table: Table) -> None:
    jobs = DynamoJobStore(table)
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/j1"
    jobs.put(job_arn=arn, job_name="j1", run_id="r1", started_at=AT)
    assert [j.job_arn for j in jobs.inflight()] == [arn]

    def state(status: str, at: str) -> JobState:
        return JobState(job_arn=arn, status=status, observed_at=at)

    done = jobs.apply_state(state("Completed", LATER), event_id="e1")
    assert done.applied and done.job is not None and done.job.terminal
    assert jobs.inflight() == [] and [j.job_arn for j in jobs.ended()] == [arn]
    assert jobs.apply_state(state("Completed", LATER), event_id="e1").reason == "duplicate"
    late = jobs.apply_state(state("InProgress", AT), event_id="e0")
    assert late.reason == "stale" and late.job is not None and late.job.status == "Completed"
    assert (
        jobs.apply_state(
            state("Completed", LATER).model_copy(update={"job_arn": "x"}), event_id=None
        ).reason
        == "unknown_job"
    )
    assert jobs.put(job_arn=arn, job_name="j1", run_id="r2", started_at=LATER).run_id == "r1"
    assert jobs.attach_token("nope", token="t", execution_arn=None) is None


def test_versions_a_family_claimed_by_another_pipeline_is_returned_as_it_is(
    table: Table,
) -> None:
    versions = DynamoVersionStore(table)
    mine = versions.claim_family("fam", "owner", at=AT, writers=("friend",))
    assert mine == FamilyInfo(
        family="fam", owner="owner", writers=["friend"], created_at=AT, updated_at=AT
    )
    theirs = versions.claim_family("fam", "intruder", at=LATER)
    assert theirs.owner == "owner" and theirs.writers == ["friend"]
    assert theirs.may_write("friend") and not theirs.may_write("intruder")
    versions.put_family("fam", at=LATER, deployment_arn="arn:dep")
    assert versions.families()[0].deployment_arn == "arn:dep"
    versions.put_family("fam", at=LATER, deployment_arn="")
    assert versions.get_family("fam") == mine.model_copy(update={"updated_at": LATER})


def test_aliases_are_records_and_one_lease_at_a_time(table: Table) -> None:
    aliases = DynamoAliasStore(table)
    assert aliases.get("fam", "production") == AliasState(family="fam", alias="production")
    held = aliases.acquire_lease("fam", "production", lease_id="L1", now=100, expires=220)
    assert isinstance(held, AliasState) and held.lease_id == "L1"
    with pytest.raises(ConflictError, match="in progress"):
        aliases.acquire_lease("fam", "production", lease_id="L2", now=200, expires=320)
    change = AliasChange(
        family="fam",
        alias="production",
        version=1,
        model_arn="m1",
        target_arn="m1",
        revision=1,
        action="promote",
        by="alice",
        at=AT,
    )
    aliases.commit(
        "fam",
        "production",
        lease_id="L1",
        expected_revision=0,
        fields={"version": 1, "modelArn": "m1", "targetArn": "m1", "previousVersion": None},
        history=change,
    )
    now = aliases.get("fam", "production")
    assert (now.version, now.revision, now.lease_id) == (1, 1, None)
    assert aliases.history("fam", "production") == [change]
    assert aliases.targets("fam") == {"production": 1}
    assert not aliases.release_lease("fam", "production", "L1")
    with pytest.raises(ConflictError, match="lease lost"):
        aliases.commit(
            "fam",
            "production",
            lease_id="L1",
            expected_revision=1,
            fields={"version": 2},
            history=change.model_copy(update={"revision": 2}),
        )
