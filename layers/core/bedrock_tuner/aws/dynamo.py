"""DynamoDB adapter: the state table (docs/table-design.md).

One table, ``PK``/``SK`` with ``GSI1`` (runs by pipeline) and ``GSI2`` (pending approvals,
in-flight jobs). Every write that could race is conditional:

- a job never moves backwards (status rank, then event time) and never applies the same
  event id twice;
- an approval is decided once;
- version N of a family is written in one transaction with the counter (N-1 → N) and a
  by-job item, so numbers are gap-free and a job registers at most once;
- a family belongs to the pipeline that claimed it first (``owner``) and the pipelines its
  owner lists (``writers``): registration and alias commits check it in their transaction.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal, NoReturn

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, retryable_error
from bedrock_tuner.errors import (
    BedrockTunerError,
    ConflictError,
    ForbiddenError,
    RunNotFoundError,
    TransientError,
)
from bedrock_tuner.pipeline.runs import TERMINAL_RUN_STATUSES, Run, RunStatus, Step
from bedrock_tuner.pipeline.spec import family_owner_problem
from bedrock_tuner.pipeline.tracking import JobState, JobStatus, is_terminal, status_rank
from bedrock_tuner.registry.versions import ModelVersion, version_sort_key

__all__ = [
    "ACTIVE_RUNS",
    "APPROVAL_PENDING",
    "ENDED",
    "INFLIGHT",
    "ApprovalRecord",
    "DynamoStateStore",
    "JobRecord",
    "JobUpdate",
]

APPROVAL_PENDING = "APPROVAL#PENDING"
INFLIGHT = "JOB#INFLIGHT"
ENDED = "JOB#ENDED"  # terminal, its workflow not yet resumed (or settled by the reconciler)
ACTIVE_RUNS = "RUN#ACTIVE"  # runs not yet terminal
SLOTS_KEY = {"PK": "SLOTS", "SK": "BEDROCK"}
TERMINAL_RANK = 2
VERSION_ATTEMPTS = 8

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# --------------------------------------------------------------------------- marshalling


def _to_dynamo(value: Any) -> Any:
    """Python values DynamoDB accepts: floats become Decimals, tuples lists."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_from_dynamo(v) for v in value)
    return value


def _attr(value: Any) -> dict[str, Any]:
    result: dict[str, Any] = _serializer.serialize(_to_dynamo(value))
    return result


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _attr(value) for key, value in values.items() if value is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


def _condition_failed_at(exc: Exception, index: int) -> bool:
    """A cancelled transaction whose item ``index`` failed its condition."""
    response = getattr(exc, "response", None)
    reasons = response.get("CancellationReasons") if isinstance(response, dict) else None
    if not isinstance(reasons, list) or len(reasons) <= index:
        return False
    reason = reasons[index]
    return isinstance(reason, dict) and reason.get("Code") == "ConditionalCheckFailed"


# --------------------------------------------------------------------------- records

_TERMINAL_FIELDS = frozenset({"status", "error", "outcome"})
"""What a run's end fixes: a later writer may add facts, not rewrite the ending."""


class _TerminalRunError(Exception):
    """The run has ended; its status is final."""


class _Camel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


class ApprovalRecord(_Camel):
    run_id: str
    status: Literal["PENDING", "APPROVED", "REJECTED", "EXPIRED"]
    task_token: str | None = None
    cost_usd: float | None = None
    requested_at: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    pipeline: str | None = None
    why: str | None = None  # why the run waits (the budget decision)
    # the decision reached the waiting workflow (False: recorded, its resume not yet
    # delivered; None: decided before delivery was recorded, or not decided)
    delivered: bool | None = None


class JobRecord(_Camel):
    job_arn: str
    job_name: str | None = None
    run_id: str
    status: str = JobStatus.IN_PROGRESS
    status_rank: int = 0
    stages: dict[str, str] = Field(default_factory=dict)
    last_event_time: str | None = None
    seen_event_ids: list[str] = Field(default_factory=list)
    task_token: str | None = None
    execution_arn: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    failure_message: str | None = None
    output_model_arn: str | None = None
    training_loss: float | None = None
    validation_loss: float | None = None
    resumed_at: str | None = None
    resume_delivered: bool | None = None  # None: not resumed yet; False: the task was gone
    stop_requested_at: str | None = None

    @property
    def terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def resume_pending(self) -> bool:
        """Ended, and its waiting task was not resumed yet."""
        return self.terminal and self.resume_delivered is None


class JobUpdate(BaseModel):
    """What applying a job state did: ``applied``, or why not."""

    applied: bool
    reason: Literal["applied", "duplicate", "stale", "unknown_job"]
    job: JobRecord | None = None


# --------------------------------------------------------------------------- the store


class DynamoStateStore:
    """Runs, approvals, jobs, job slots and model versions in the state table."""

    def __init__(self, table_name: str, client_factory: Callable[[], Any] | None = None) -> None:
        self.table_name = table_name
        self._factory = client_factory or (lambda: default_client("dynamodb"))

    @property
    def _db(self) -> Any:
        return self._factory()

    # -- plumbing -----------------------------------------------------------------------
    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._db, operation)(TableName=self.table_name, **kwargs)
        except Exception as exc:
            raise self._error(operation, exc) from exc

    def _error(self, operation: str, exc: Exception) -> Exception:
        if error_code(exc) == "ConditionalCheckFailedException":
            return exc  # callers decide what a failed condition means
        found = retryable_error(exc, f"DynamoDB {operation} on {self.table_name}")
        if found is not None:
            return found
        if error_code(exc) == "ResourceNotFoundException":
            return BedrockTunerError(
                f"the state table {self.table_name} does not exist",
                fix="check BT_TABLE_NAME (the template sets it to the StateTable)",
            )
        return exc

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._call("get_item", Key=_item({"PK": pk, "SK": sk}), ConsistentRead=True)
        item = response.get("Item")
        return _plain(item) if item else None

    def _query(
        self,
        index: str | None,
        key_name: str,
        key_value: str,
        *,
        sk_name: str | None = None,
        sk_prefix: str | None = None,
        forward: bool = True,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        expression = "#k = :k"
        names = {"#k": key_name}
        values: dict[str, Any] = {":k": key_value}
        if sk_name and sk_prefix is not None:
            expression += " AND begins_with(#s, :s)"
            names["#s"] = sk_name
            values[":s"] = sk_prefix
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _item(values),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        returned = 0
        while True:
            response = self._call("query", **kwargs)
            for item in response.get("Items", []):
                yield _plain(item)
                returned += 1
                if limit is not None and returned >= limit:
                    return
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    @staticmethod
    def _failed_condition(exc: Exception) -> bool:
        return error_code(exc) == "ConditionalCheckFailedException"

    # -- runs -----------------------------------------------------------------------------
    @staticmethod
    def _run_key(run_id: str) -> dict[str, str]:
        return {"PK": f"RUN#{run_id}", "SK": "RUN"}

    def create_run(self, run: Run) -> tuple[Run, bool]:
        """Store a new run; if it exists already, return the stored one and ``False``."""
        item = {
            **self._run_key(run.run_id),
            **run.item(),
            "GSI1PK": f"PIPELINE#{run.pipeline}",
            "GSI1SK": f"{run.created_at}#{run.run_id}",
        }
        if not run.terminal:
            item["GSI2PK"] = ACTIVE_RUNS
            item["GSI2SK"] = f"{run.created_at}#{run.run_id}"
        try:
            self._call("put_item", Item=_item(item), ConditionExpression="attribute_not_exists(PK)")
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            existing = self.get_run(run.run_id)
            if existing is None:  # deleted in between: unlikely, and a retry settles it
                raise TransientError(f"run {run.run_id} changed while being created") from exc
            return existing, False
        return run, True

    def claim_retry(self, origin_id: str, *, latest_id: str, new_id: str, attempt: int) -> bool:
        """Point the object's first run at ``new_id`` as its latest attempt, if
        ``latest_id`` still is (one winner when two retries of the same run race).

        Returns ``False`` when another retry claimed it first.
        """
        condition = (
            "attribute_not_exists(latestRunId)"
            if latest_id == origin_id
            else "latestRunId = :latest"
        )
        values: dict[str, Any] = {":new": new_id, ":attempt": attempt}
        if latest_id != origin_id:
            values[":latest"] = latest_id
        try:
            self._call(
                "update_item",
                Key=_item(self._run_key(origin_id)),
                UpdateExpression="SET latestRunId = :new, attempts = :attempt",
                ConditionExpression=f"attribute_exists(PK) AND ({condition})",
                ExpressionAttributeValues={k: _attr(v) for k, v in values.items()},
            )
        except Exception as exc:
            if self._failed_condition(exc):
                return False
            raise
        return True

    def get_run(self, run_id: str) -> Run | None:
        item = self._get(f"RUN#{run_id}", "RUN")
        return Run.model_validate(item) if item else None

    def require_run(self, run_id: str) -> Run:
        run = self.get_run(run_id)
        if run is None:
            raise RunNotFoundError(
                f"no run {run_id}",
                fix="check the run id: `bedrock-tuner runs list` lists the runs "
                "(`--pipeline NAME` for one pipeline; GET /runs)",
            )
        return run

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        step: Step | None = None,
        fields: Mapping[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        reopen: bool = False,
    ) -> bool:
        """Set ``status`` and ``fields`` (camelCase attribute names), append ``step``.

        Terminal statuses are final: a run that has ended keeps its status (and its
        ``error`` and ``outcome``) unless ``reopen`` is set (``runs recover``); the other
        fields and the step are still recorded. Returns whether ``status`` was applied.

        Raises
        ------
        RunNotFoundError
            No such run.
        """
        try:
            self._update_run(run_id, status, step, fields, remove, guard=not reopen)
        except _TerminalRunError:
            kept = {k: v for k, v in (fields or {}).items() if k not in _TERMINAL_FIELDS}
            self._update_run(run_id, None, step, kept, remove, guard=False)
            return False
        return status is not None

    def _update_run(
        self,
        run_id: str,
        status: RunStatus | None,
        step: Step | None,
        fields: Mapping[str, Any] | None,
        remove: tuple[str, ...],
        *,
        guard: bool,
    ) -> None:
        sets: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        updates = dict(fields or {})
        if status is not None:
            updates["status"] = status.value
        if step is not None:
            updates["updatedAt"] = step.at
        for index, (name, value) in enumerate(updates.items()):
            if value is None:
                continue
            names[f"#f{index}"] = name
            values[f":f{index}"] = value
            sets.append(f"#f{index} = :f{index}")
        if step is not None:
            names["#steps"] = "steps"
            values[":step"] = [step.model_dump(mode="json", exclude_none=True)]
            values[":none"] = []
            sets.append("#steps = list_append(if_not_exists(#steps, :none), :step)")
        expression = "SET " + ", ".join(sets) if sets else ""
        if status is not None and status in TERMINAL_RUN_STATUSES:
            remove = (*remove, "GSI2PK", "GSI2SK")  # leaves the active-runs index
        if remove:
            removals = []
            for index, name in enumerate(dict.fromkeys(remove)):
                names[f"#r{index}"] = name
                removals.append(f"#r{index}")
            expression += " REMOVE " + ", ".join(removals)
        if not expression:
            return
        names["#pk"] = "PK"
        condition = "attribute_exists(#pk)"
        if guard and (status is not None or any(k in updates for k in _TERMINAL_FIELDS)):
            names["#st"] = "status"
            terminal = sorted(TERMINAL_RUN_STATUSES)
            for index, value in enumerate(terminal):
                values[f":t{index}"] = value.value
            listed = ", ".join(f":t{index}" for index in range(len(terminal)))
            condition += f" AND NOT #st IN ({listed})"
        kwargs: dict[str, Any] = {
            "Key": _item(self._run_key(run_id)),
            "UpdateExpression": expression.strip(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = {k: _attr(v) for k, v in values.items()}
        try:
            self._call("update_item", **kwargs)
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            if self.get_run(run_id) is None:
                raise RunNotFoundError(f"no run {run_id}") from exc
            raise _TerminalRunError(run_id) from exc

    # -- one notification per outcome (I6) --------------------------------------------------
    NOTIFYING = "pending"

    def claim_notification(self, run_id: str, kind: str) -> str | None:
        """Reserve the ``kind`` notification of a run before publishing it.

        Returns ``None`` when this caller claimed it (publish, then :meth:`record_notification`
        or :meth:`release_notification`), else what is stored: a message id (sent), or
        ``"pending"`` (an earlier attempt died between the claim and the record).
        """
        key = _item(self._run_key(run_id))
        self._call(
            "update_item",
            Key=key,
            UpdateExpression="SET #n = if_not_exists(#n, :empty)",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#n": "notifications"},
            ExpressionAttributeValues={":empty": {"M": {}}},
        )
        try:
            self._call(
                "update_item",
                Key=key,
                UpdateExpression="SET #n.#k = :pending",
                ConditionExpression="attribute_not_exists(#n.#k)",
                ExpressionAttributeNames={"#n": "notifications", "#k": kind},
                ExpressionAttributeValues={":pending": _attr(self.NOTIFYING)},
            )
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            run = self.get_run(run_id)
            return (run.notifications.get(kind) if run else None) or self.NOTIFYING
        return None

    def record_notification(self, run_id: str, kind: str, message_id: str) -> None:
        self._call(
            "update_item",
            Key=_item(self._run_key(run_id)),
            UpdateExpression="SET #n.#k = :id",
            ExpressionAttributeNames={"#n": "notifications", "#k": kind},
            ExpressionAttributeValues={":id": _attr(message_id)},
        )

    def release_notification(self, run_id: str, kind: str) -> None:
        """The publish failed: let a retry send it."""
        self._call(
            "update_item",
            Key=_item(self._run_key(run_id)),
            UpdateExpression="REMOVE #n.#k",
            ConditionExpression="#n.#k = :pending",
            ExpressionAttributeNames={"#n": "notifications", "#k": kind},
            ExpressionAttributeValues={":pending": _attr(self.NOTIFYING)},
        )

    def list_runs(self, pipeline: str, *, limit: int = 50) -> list[Run]:
        """Newest first."""
        return [
            Run.model_validate(item)
            for item in self._query(
                "GSI1", "GSI1PK", f"PIPELINE#{pipeline}", forward=False, limit=limit
            )
        ]

    # -- approvals -------------------------------------------------------------------------
    def request_approval(
        self,
        run_id: str,
        *,
        token: str,
        cost_usd: float | None,
        requested_at: str,
        pipeline: str,
        why: str | None = None,
    ) -> ApprovalRecord:
        """Store a pending approval with its task token (a retry replaces the token).

        If the run was already decided, the stored decision is returned unchanged.
        """
        values = {
            ":token": token,
            ":cost": cost_usd,
            ":at": requested_at,
            ":pending": "PENDING",
            ":gsi": APPROVAL_PENDING,
            ":gsisk": f"{requested_at}#{run_id}",
            ":run": run_id,
            ":pipeline": pipeline,
        }
        sets = [
            "taskToken = :token",
            "requestedAt = :at",
            "#status = :pending",
            "GSI2PK = :gsi",
            "GSI2SK = :gsisk",
            "runId = :run",
            "pipeline = :pipeline",
        ]
        if cost_usd is not None:
            sets.append("costUsd = :cost")
        else:
            values.pop(":cost")
        if why:
            values[":why"] = why
            sets.append("why = :why")
        try:
            response = self._call(
                "update_item",
                Key=_item({"PK": f"RUN#{run_id}", "SK": "APPROVAL"}),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_not_exists(PK) OR #status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={k: _attr(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            decided = self.get_approval(run_id)
            if decided is None:
                raise TransientError(f"approval of {run_id} changed while being stored") from exc
            return decided
        return ApprovalRecord.model_validate(_plain(response["Attributes"]))

    def get_approval(self, run_id: str) -> ApprovalRecord | None:
        item = self._get(f"RUN#{run_id}", "APPROVAL")
        return ApprovalRecord.model_validate(item) if item else None

    def decide_approval(
        self,
        run_id: str,
        *,
        approved: bool,
        by: str,
        reason: str | None,
        decided_at: str,
    ) -> ApprovalRecord:
        """Record the decision of a pending approval (once), as not yet delivered.

        The same decision by the same principal again, while its resume was not delivered
        (``delivered = false``: the resume failed for a moment), returns the recorded
        decision so the caller resumes again.

        Raises
        ------
        RunNotFoundError
            No approval was requested for the run.
        ConflictError
            It was decided already (or expired).
        """
        status = "APPROVED" if approved else "REJECTED"
        values: dict[str, Any] = {
            ":status": status,
            ":by": by,
            ":at": decided_at,
            ":pending": "PENDING",
            ":delivered": False,
        }
        sets = [
            "#status = :status",
            "decidedBy = :by",
            "decidedAt = :at",
            "delivered = :delivered",
        ]
        if reason:
            values[":reason"] = reason
            sets.append("reason = :reason")
        try:
            response = self._call(
                "update_item",
                Key=_item({"PK": f"RUN#{run_id}", "SK": "APPROVAL"}),
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE GSI2PK, GSI2SK",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={k: _attr(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            current = self.get_approval(run_id)
            if current is None:
                raise RunNotFoundError(
                    f"run {run_id} is not waiting for approval",
                    fix="list waiting runs with `bedrock-tuner approvals list`",
                ) from exc
            if current.status == status and current.decided_by == by and current.delivered is False:
                return current  # the same decision, its resume not delivered yet: resume again
            raise ConflictError(
                f"run {run_id} was already {current.status.lower()}"
                + (f" by {current.decided_by}" if current.decided_by else "")
                + (f" at {current.decided_at}" if current.decided_at else ""),
                fix="nothing to do; upload the dataset again to start a new run",
            ) from exc
        return ApprovalRecord.model_validate(_plain(response["Attributes"]))

    def mark_approval_delivered(self, run_id: str) -> None:
        """The decision reached the waiting workflow (``delivered = true``)."""
        self._call(
            "update_item",
            Key=_item({"PK": f"RUN#{run_id}", "SK": "APPROVAL"}),
            UpdateExpression="SET delivered = :true",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":true": _attr(True)},
        )

    def expire_approval(self, run_id: str, *, only_pending: bool = False) -> bool:
        """The waiting task is gone (timed out, the execution ended, the run was stopped):
        the approval stops being pending. ``only_pending`` leaves a decided one alone.
        Returns whether the record changed."""
        kwargs: dict[str, Any] = {}
        if only_pending:
            kwargs["ConditionExpression"] = "#status = :pending"
        values = {":expired": _attr("EXPIRED")}
        if only_pending:
            values[":pending"] = _attr("PENDING")
        try:
            self._call(
                "update_item",
                Key=_item({"PK": f"RUN#{run_id}", "SK": "APPROVAL"}),
                UpdateExpression="SET #status = :expired REMOVE GSI2PK, GSI2SK",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                **kwargs,
            )
        except Exception as exc:
            if self._failed_condition(exc):
                return False
            raise
        return True

    def list_pending_approvals(self) -> list[ApprovalRecord]:
        """Oldest request first."""
        return [
            ApprovalRecord.model_validate(item)
            for item in self._query("GSI2", "GSI2PK", APPROVAL_PENDING)
        ]

    # -- jobs ------------------------------------------------------------------------------
    @staticmethod
    def _job_key(job_arn: str) -> dict[str, Any]:
        return _item({"PK": f"JOB#{job_arn}", "SK": "JOB"})

    def put_job(
        self,
        *,
        job_arn: str,
        job_name: str | None,
        run_id: str,
        started_at: str,
        status: str = JobStatus.IN_PROGRESS,
    ) -> JobRecord:
        """Record a started job (in flight until terminal); keep an existing record."""
        item: dict[str, Any] = {
            "PK": f"JOB#{job_arn}",
            "SK": "JOB",
            "jobArn": job_arn,
            "jobName": job_name,
            "runId": run_id,
            "status": status,
            "statusRank": status_rank(status),
            "startedAt": started_at,
            "updatedAt": started_at,
        }
        if not is_terminal(status):
            item["GSI2PK"] = INFLIGHT
            item["GSI2SK"] = f"{started_at}#{job_arn}"
        try:
            self._call("put_item", Item=_item(item), ConditionExpression="attribute_not_exists(PK)")
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            existing = self.get_job(job_arn)
            if existing is None:
                raise TransientError(f"job {job_arn} changed while being recorded") from exc
            return existing
        return JobRecord.model_validate(item)

    def get_job(self, job_arn: str) -> JobRecord | None:
        item = self._get(f"JOB#{job_arn}", "JOB")
        return JobRecord.model_validate(item) if item else None

    def attach_token(
        self, job_arn: str, *, token: str, execution_arn: str | None
    ) -> JobRecord | None:
        """Store the workflow's task token with the job; ``None`` if the job is unknown.

        The returned record is the state *after* the write, so a terminal state that an
        event stored just before is seen here (and a later event sees the token).
        """
        values: dict[str, Any] = {":token": token}
        sets = ["taskToken = :token"]
        if execution_arn:
            values[":execution"] = execution_arn
            sets.append("executionArn = :execution")
        try:
            response = self._call(
                "update_item",
                Key=self._job_key(job_arn),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={k: _attr(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if self._failed_condition(exc):
                return None
            raise
        return JobRecord.model_validate(_plain(response["Attributes"]))

    def apply_job_state(self, state: JobState, *, event_id: str | None) -> JobUpdate:
        """Move the job to ``state`` unless that would move it backwards.

        Applied when the job exists, ``event_id`` was not seen before, and the new status
        ranks higher, or ranks the same (not terminal) and is not older. Terminal states
        are final. The job leaves the in-flight index when it becomes terminal.
        """
        rank = status_rank(state.status)
        sets = [
            "#status = :status",
            "statusRank = :rank",
            "lastEventTime = :time",
            "updatedAt = :time",
        ]
        values: dict[str, Any] = {
            ":status": state.status,
            ":rank": rank,
            ":time": state.observed_at,
            ":terminal": TERMINAL_RANK,
        }
        optional = {
            "jobName": state.job_name,
            "failureMessage": state.failure_message,
            "outputModelArn": state.output_model_arn,
            "trainingLoss": state.training_loss,
            "validationLoss": state.validation_loss,
            "stages": state.stages or None,
        }
        names = {"#status": "status"}
        for index, (name, value) in enumerate(optional.items()):
            if value is not None:
                names[f"#o{index}"] = name
                values[f":o{index}"] = value
                sets.append(f"#o{index} = :o{index}")
        expression = "SET " + ", ".join(sets)
        condition = (
            "attribute_exists(PK) AND (statusRank < :rank OR (statusRank = :rank AND "
            "statusRank < :terminal AND (attribute_not_exists(lastEventTime) OR "
            "lastEventTime <= :time)))"
        )
        if event_id:
            values[":eid"] = event_id
            values[":eids"] = {event_id}
            expression += " ADD seenEventIds :eids"
            condition += (
                " AND (attribute_not_exists(seenEventIds) OR NOT contains(seenEventIds, :eid))"
            )
        if rank >= TERMINAL_RANK:
            # out of the in-flight index, into the ended one until its workflow is resumed
            names["#g2"], names["#g2s"] = "GSI2PK", "GSI2SK"
            values[":ended"] = ENDED
            values[":endsk"] = f"{state.observed_at}#{state.job_arn}"
            expression = expression.replace("SET ", "SET #g2 = :ended, #g2s = :endsk, ", 1)
        try:
            response = self._call(
                "update_item",
                Key=self._job_key(state.job_arn),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={k: _attr(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            current = self.get_job(state.job_arn)
            if current is None:
                return JobUpdate(applied=False, reason="unknown_job")
            duplicate = event_id is not None and event_id in current.seen_event_ids
            return JobUpdate(
                applied=False, reason="duplicate" if duplicate else "stale", job=current
            )
        return JobUpdate(
            applied=True,
            reason="applied",
            job=JobRecord.model_validate(_plain(response["Attributes"])),
        )

    def mark_resumed(self, job_arn: str, *, at: str, delivered: bool) -> None:
        """The ended job's waiting task was resumed (``delivered``), or was gone: either
        way the job leaves the ended index."""
        self._call(
            "update_item",
            Key=self._job_key(job_arn),
            UpdateExpression="SET resumedAt = :at, resumeDelivered = :d REMOVE GSI2PK, GSI2SK",
            ExpressionAttributeValues={":at": _attr(at), ":d": _attr(delivered)},
        )

    def settle_job(self, job_arn: str, *, at: str, note: str) -> None:
        """An ended job whose workflow will never be resumed (its execution ended): the
        reconciler recorded the outcome on the run; the job leaves the ended index."""
        self._call(
            "update_item",
            Key=self._job_key(job_arn),
            UpdateExpression="SET settledAt = :at, settledNote = :n, resumeDelivered = :f "
            "REMOVE GSI2PK, GSI2SK",
            ExpressionAttributeValues={
                ":at": _attr(at),
                ":n": _attr(note),
                ":f": _attr(False),
            },
        )

    def mark_stop_requested(self, job_arn: str, *, at: str) -> None:
        self._call(
            "update_item",
            Key=self._job_key(job_arn),
            UpdateExpression="SET stopRequestedAt = if_not_exists(stopRequestedAt, :at)",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":at": _attr(at)},
        )

    def list_ended_jobs(self) -> list[JobRecord]:
        """Terminal jobs whose workflow was not resumed yet (GSI2 ``JOB#ENDED``)."""
        return [JobRecord.model_validate(item) for item in self._query("GSI2", "GSI2PK", ENDED)]

    def list_active_runs(self) -> list[Run]:
        """Runs not yet terminal, oldest first (GSI2 ``RUN#ACTIVE``)."""
        return [Run.model_validate(item) for item in self._query("GSI2", "GSI2PK", ACTIVE_RUNS)]

    def list_inflight_jobs(self) -> list[JobRecord]:
        """Jobs not yet terminal, oldest first (GSI2 ``JOB#INFLIGHT``)."""
        return [JobRecord.model_validate(item) for item in self._query("GSI2", "GSI2PK", INFLIGHT)]

    # -- job slots ---------------------------------------------------------------------------
    def slot_holders(self) -> list[str]:
        """Execution names holding a Bedrock job slot (the workflow acquires/releases)."""
        item = self._get(SLOTS_KEY["PK"], SLOTS_KEY["SK"])
        holders = (item or {}).get("holders") or []
        return [str(holder) for holder in holders]

    def release_slot(self, holder: str) -> None:
        """Drop ``holder`` from the slot set (idempotent)."""
        self._call(
            "update_item",
            Key=_item(SLOTS_KEY),
            UpdateExpression="DELETE holders :h",
            ExpressionAttributeValues={":h": {"SS": [holder]}},
        )

    # -- versions ----------------------------------------------------------------------------
    def last_version(self, family: str) -> int:
        item = self._get(f"MODEL#{family}", "COUNTER")
        return int((item or {}).get("last", 0))

    def get_version(self, family: str, version: int) -> ModelVersion | None:
        item = self._get(f"MODEL#{family}", version_sort_key(version))
        return ModelVersion.model_validate(item) if item else None

    def list_versions(self, family: str) -> list[ModelVersion]:
        """Oldest first."""
        return [
            ModelVersion.model_validate(item)
            for item in self._query(
                None, "PK", f"MODEL#{family}", sk_name="SK", sk_prefix="VERSION#"
            )
        ]

    def alias_targets(self, family: str) -> dict[str, int]:
        """Each alias of ``family`` and the version it points at (history items excluded)."""
        targets: dict[str, int] = {}
        for item in self._query(None, "PK", f"MODEL#{family}", sk_name="SK", sk_prefix="ALIAS#"):
            name = str(item["SK"]).removeprefix("ALIAS#")
            if "#" not in name and item.get("version") is not None:
                targets[name] = int(item["version"])
        return targets

    def version_for_job(self, job_arn: str) -> ModelVersion | None:
        pointer = self._get(f"JOB#{job_arn}", "VERSION")
        if pointer is None:
            return None
        return self.get_version(str(pointer["family"]), int(pointer["version"]))

    def register_version(
        self,
        family: str,
        job_arn: str,
        build: Callable[[int], ModelVersion],
        *,
        writer: str | None = None,
    ) -> tuple[ModelVersion, bool]:
        """Allocate the next version of ``family`` for ``job_arn`` and store it.

        One transaction: the counter moves from N-1 to N (condition), the version item
        and the by-job item are created (condition: absent). A lost race is retried with
        the next number; a job that is registered already gets its version back
        (``created`` is ``False``). With ``writer`` (the registering pipeline) the family
        item is part of the transaction: claimed for ``writer`` when it has no owner yet,
        else the condition is that ``writer`` owns it or is one of its ``writers``.

        Raises
        ------
        ForbiddenError
            The family belongs to another pipeline that does not list ``writer``.
        TransientError
            Contention did not settle after a few attempts.
        """
        for attempt in range(VERSION_ATTEMPTS):
            existing = self.version_for_job(job_arn)
            if existing is not None:
                return existing, False
            last = self.last_version(family)
            version = build(last + 1)
            if version.family != family or version.version != last + 1:
                raise ValueError("build() must return the version it was given for the family")
            counter: dict[str, Any] = {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _item({"PK": f"MODEL#{family}", "SK": "COUNTER"}),
                    "UpdateExpression": "SET #last = :next, updatedAt = :at",
                    "ExpressionAttributeNames": {"#last": "last"},
                    "ExpressionAttributeValues": {
                        ":next": _attr(last + 1),
                        ":at": _attr(version.registered_at),
                    },
                }
            }
            if last == 0:
                counter["Update"]["ConditionExpression"] = "attribute_not_exists(#last)"
            else:
                counter["Update"]["ConditionExpression"] = "#last = :prev"
                counter["Update"]["ExpressionAttributeValues"][":prev"] = _attr(last)
            version_item = {
                "PK": f"MODEL#{family}",
                "SK": version_sort_key(version.version),
                **version.item(),
            }
            by_job = {
                "PK": f"JOB#{job_arn}",
                "SK": "VERSION",
                "family": family,
                "version": version.version,
            }
            claim = (
                [self._family_claim(family, writer, at=version.registered_at)]
                if writer is not None
                else []
            )
            try:
                self._db.transact_write_items(
                    TransactItems=[
                        *claim,
                        counter,
                        {
                            "Put": {
                                "TableName": self.table_name,
                                "Item": _item(version_item),
                                "ConditionExpression": "attribute_not_exists(PK)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table_name,
                                "Item": _item(by_job),
                                "ConditionExpression": "attribute_not_exists(PK)",
                            }
                        },
                    ]
                )
            except Exception as exc:
                code = error_code(exc)
                if code not in {"TransactionCanceledException", "TransactionConflictException"}:
                    raise self._error("TransactWriteItems", exc) from exc
                if writer is not None and _condition_failed_at(exc, 0):
                    self._refuse_family(family, writer)
                # Someone registered this job, or took number N first: look again.
                time.sleep(min(0.05 * 2**attempt, 1.0))
                continue
            return version, True
        raise TransientError(
            f"could not allocate a version of {family} for {job_arn} after "
            f"{VERSION_ATTEMPTS} attempts (other registrations kept winning); retry later"
        )

    # -- families, aliases, alias history ----------------------------------------------------
    # docs/registry.md: ``FAMILIES/FAMILY#<family>`` (the family and its deployment),
    # ``MODEL#<family>/ALIAS#<alias>`` (target, revision, lease) and
    # ``MODEL#<family>/ALIAS#<alias>#<revision:08d>`` (one history item per change).
    @staticmethod
    def _alias_key(family: str, alias: str) -> dict[str, Any]:
        return _item({"PK": f"MODEL#{family}", "SK": f"ALIAS#{alias}"})

    def put_family(self, family: str, *, at: str, deployment_arn: str | None = None) -> None:
        """Create or touch the family item; set its deployment when given ("" removes it)."""
        sets = ["#family = :family", "updatedAt = :at", "createdAt = if_not_exists(createdAt, :at)"]
        values: dict[str, Any] = {":family": family, ":at": at}
        expression = ""
        if deployment_arn:
            sets.append("deploymentArn = :deployment")
            values[":deployment"] = deployment_arn
        elif deployment_arn == "":
            expression = " REMOVE deploymentArn"
        self._call(
            "update_item",
            Key=_item({"PK": "FAMILIES", "SK": f"FAMILY#{family}"}),
            UpdateExpression="SET " + ", ".join(sets) + expression,
            ExpressionAttributeNames={"#family": "family"},
            ExpressionAttributeValues={k: _attr(v) for k, v in values.items()},
        )

    def get_family(self, family: str) -> dict[str, Any] | None:
        return self._get("FAMILIES", f"FAMILY#{family}")

    @staticmethod
    def _family_key(family: str) -> dict[str, Any]:
        return _item({"PK": "FAMILIES", "SK": f"FAMILY#{family}"})

    _MAY_WRITE = "attribute_not_exists(#owner) OR #owner = :me OR contains(writers, :me)"

    def _family_claim(self, family: str, pipeline: str, *, at: str) -> dict[str, Any]:
        """The transaction item that claims ``family`` for ``pipeline`` when it has no owner,
        on condition that ``pipeline`` may write to it."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": self._family_key(family),
                "UpdateExpression": "SET #family = :family, #owner = if_not_exists(#owner, :me), "
                "createdAt = if_not_exists(createdAt, :at), updatedAt = :at",
                "ConditionExpression": self._MAY_WRITE,
                "ExpressionAttributeNames": {"#family": "family", "#owner": "owner"},
                "ExpressionAttributeValues": {
                    ":family": _attr(family),
                    ":me": _attr(pipeline),
                    ":at": _attr(at),
                },
            }
        }

    def claim_family(
        self, family: str, pipeline: str, *, at: str, writers: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Claim ``family`` for ``pipeline`` (first come) and, as its owner, store the
        pipelines it shares the family with (``writers``, from the owner's spec: a list
        that shrinks takes the share back). Another pipeline's family is left unchanged.

        Returns the family item as it is now (read its ``owner``).
        """
        try:
            response = self._call(
                "update_item",
                Key=self._family_key(family),
                UpdateExpression="SET #family = :family, #owner = if_not_exists(#owner, :me), "
                "writers = :writers, createdAt = if_not_exists(createdAt, :at), updatedAt = :at",
                ConditionExpression="attribute_not_exists(#owner) OR #owner = :me",
                ExpressionAttributeNames={"#family": "family", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":family": _attr(family),
                    ":me": _attr(pipeline),
                    ":writers": _attr(list(writers)),
                    ":at": _attr(at),
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            current = self.get_family(family)
            if current is None:
                raise TransientError(f"family {family} changed while being claimed") from exc
            return current
        return _plain(response["Attributes"])

    def check_family_writer(self, family: str, pipeline: str) -> None:
        """Raise :class:`ForbiddenError` unless ``pipeline`` may write to ``family``."""
        item = self.get_family(family) or {}
        owner = item.get("owner")
        if owner and owner != pipeline and pipeline not in (item.get("writers") or []):
            message, fix = family_owner_problem(family, str(owner), pipeline)
            raise ForbiddenError(message, fix=fix)

    def _refuse_family(self, family: str, pipeline: str) -> NoReturn:
        """A transaction's family condition failed: the :class:`ForbiddenError` naming the
        owner as stored now."""
        item = self._get("FAMILIES", f"FAMILY#{family}") or {}
        message, fix = family_owner_problem(family, str(item.get("owner") or "?"), pipeline)
        raise ForbiddenError(message, fix=fix)

    def list_family_items(self) -> list[dict[str, Any]]:
        """Every ``FAMILIES/FAMILY#<family>`` item (family, deployment), by name."""
        return list(self._query(None, "PK", "FAMILIES", sk_name="SK", sk_prefix="FAMILY#"))

    def get_alias(self, family: str, alias: str) -> dict[str, Any] | None:
        return self._get(f"MODEL#{family}", f"ALIAS#{alias}")

    def acquire_alias_lease(
        self, family: str, alias: str, *, lease_id: str, now: int, expires: int
    ) -> dict[str, Any]:
        """Take the alias's promotion lease (none held, or the holder's expired).

        Returns the alias item with the lease. Raises :class:`ConflictError` when another
        promotion holds a live lease.
        """
        try:
            response = self._call(
                "update_item",
                Key=self._alias_key(family, alias),
                UpdateExpression="SET #family = :family, #alias = :alias, leaseId = :lease, "
                "leaseExpiresAt = :expires",
                ConditionExpression="attribute_not_exists(leaseId) OR leaseExpiresAt < :now",
                ExpressionAttributeNames={"#family": "family", "#alias": "alias"},
                ExpressionAttributeValues={
                    k: _attr(v)
                    for k, v in {
                        ":family": family,
                        ":alias": alias,
                        ":lease": lease_id,
                        ":expires": expires,
                        ":now": now,
                    }.items()
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if not self._failed_condition(exc):
                raise
            raise ConflictError(
                f"promotion of {alias} in progress (family {family})",
                fix="wait for it to finish (a stuck promotion's lease expires after 2 minutes) "
                f"and check `bedrock-tuner aliases history {family} {alias}`",
            ) from exc
        return _plain(response["Attributes"])

    def release_alias_lease(self, family: str, alias: str, lease_id: str) -> bool:
        """Drop the lease if ``lease_id`` still holds it; ``False`` if it did not."""
        try:
            self._call(
                "update_item",
                Key=self._alias_key(family, alias),
                UpdateExpression="REMOVE leaseId, leaseExpiresAt",
                ConditionExpression="leaseId = :lease",
                ExpressionAttributeValues={":lease": _attr(lease_id)},
            )
        except Exception as exc:
            if self._failed_condition(exc):
                return False
            raise
        return True

    def commit_alias(
        self,
        family: str,
        alias: str,
        *,
        lease_id: str,
        expected_revision: int,
        fields: Mapping[str, Any],
        history: Mapping[str, Any],
        writer: str | None = None,
    ) -> None:
        """One transaction: the alias item gets ``fields`` and ``revision + 1`` and loses
        its lease (condition: our lease, revision unchanged); the history item
        ``ALIAS#<alias>#<revision+1:08d>`` is created. With ``writer`` (a pipeline promoting
        its own version) the family item is checked in the same transaction: ``writer`` owns
        it or is one of its ``writers``.

        Raises
        ------
        ForbiddenError
            ``writer`` may not write to the family (its owner took the share back).
        ConflictError
            The lease was lost or the revision moved (another promotion won).
        ThrottlingError, TransientError
            Retry.
        """
        revision = expected_revision + 1
        names: dict[str, str] = {}
        values: dict[str, Any] = {
            ":lease": lease_id,
            ":rev": revision,
            ":expected": expected_revision,
        }
        sets = ["revision = :rev"]
        removals = ["leaseId", "leaseExpiresAt"]
        for index, (name, value) in enumerate(fields.items()):
            names[f"#f{index}"] = name
            if value is None:
                removals.append(f"#f{index}")
            else:
                values[f":f{index}"] = value
                sets.append(f"#f{index} = :f{index}")
        condition = "leaseId = :lease AND " + (
            "attribute_not_exists(revision)" if expected_revision == 0 else "revision = :expected"
        )
        if expected_revision == 0:
            values.pop(":expected")
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": self._alias_key(family, alias),
            "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removals),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {k: _attr(v) for k, v in values.items()},
        }
        if names:
            update["ExpressionAttributeNames"] = names
        record = {
            "PK": f"MODEL#{family}",
            "SK": f"ALIAS#{alias}#{revision:08d}",
            **history,
        }
        check = (
            [
                {
                    "ConditionCheck": {
                        "TableName": self.table_name,
                        "Key": self._family_key(family),
                        "ConditionExpression": self._MAY_WRITE,
                        "ExpressionAttributeNames": {"#owner": "owner"},
                        "ExpressionAttributeValues": {":me": _attr(writer)},
                    }
                }
            ]
            if writer is not None
            else []
        )
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {"Update": update},
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": _item(record),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    *check,
                ]
            )
        except Exception as exc:
            if error_code(exc) == "TransactionCanceledException":
                if writer is not None and _condition_failed_at(exc, 2):
                    self._refuse_family(family, writer)
                raise ConflictError(
                    f"alias {alias} of {family} changed during the promotion (lease lost)",
                    fix="read the alias and its history, then promote again",
                ) from exc
            raise self._error("TransactWriteItems", exc) from exc

    def put_alias_event(self, family: str, alias: str, key: str, record: Mapping[str, Any]) -> None:
        """A history item outside the commit (a failed attempt): ``ALIAS#<alias>#<key>``."""
        self._call(
            "put_item",
            Item=_item({"PK": f"MODEL#{family}", "SK": f"ALIAS#{alias}#{key}", **record}),
        )

    def alias_history(self, family: str, alias: str) -> list[dict[str, Any]]:
        """Every change of the alias (and every failed attempt), oldest first."""
        return list(
            self._query(None, "PK", f"MODEL#{family}", sk_name="SK", sk_prefix=f"ALIAS#{alias}#")
        )
