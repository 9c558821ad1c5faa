"""Step Functions adapter: start executions, resume waiting tasks, send heartbeats.

``start_execution`` is idempotent on the execution name (``ExecutionAlreadyExists`` means
this run's execution exists: its ARN is returned). ``send_task_*`` tolerate a task that is
gone (``TaskTimedOut``, ``InvalidToken``, ``TaskDoesNotExist``): they log and return
``False``, because a late event for a finished task is normal, not an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, error_message, retryable_error
from bedrock_tuner.errors import ConfigurationError, TransientError
from bedrock_tuner.observability import logger

__all__ = ["StepFunctions", "execution_arn_for"]

_GONE = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})
CAUSE_MAX = 32768


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    """``arn:…:stateMachine:X`` + name → ``arn:…:execution:X:name``."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


class StepFunctions:
    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory or (lambda: default_client("stepfunctions"))

    @property
    def _sfn(self) -> Any:
        return self._factory()

    def _fail(self, what: str, exc: Exception) -> Exception:
        return retryable_error(exc, what) or TransientError(f"{what}: {error_message(exc)}")

    def start_execution(
        self, state_machine_arn: str, name: str, payload: dict[str, Any]
    ) -> tuple[str, bool]:
        """Start ``name``; returns ``(execution ARN, started)`` — ``False`` if it existed."""
        try:
            response = self._sfn.start_execution(
                stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
            )
        except Exception as exc:
            code = error_code(exc)
            if code == "ExecutionAlreadyExists":
                return execution_arn_for(state_machine_arn, name), False
            if code in {"StateMachineDoesNotExist", "InvalidArn"}:
                raise ConfigurationError(
                    f"cannot start an execution of {state_machine_arn}: {error_message(exc)}",
                    fix="check BT_STATE_MACHINE_ARN",
                ) from exc
            raise self._fail("StartExecution", exc) from exc
        return str(response["executionArn"]), True

    def execution_status(self, execution_arn: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED …; ``None`` if it does not exist."""
        try:
            response = self._sfn.describe_execution(executionArn=execution_arn)
        except Exception as exc:
            if error_code(exc) in {"ExecutionDoesNotExist", "InvalidArn"}:
                return None
            raise self._fail("DescribeExecution", exc) from exc
        return str(response["status"])

    def describe(self, execution_arn: str) -> dict[str, Any] | None:
        """``DescribeExecution`` with ``input``/``output`` parsed; ``None`` if unknown."""
        try:
            response = dict(self._sfn.describe_execution(executionArn=execution_arn))
        except Exception as exc:
            if error_code(exc) in {"ExecutionDoesNotExist", "InvalidArn"}:
                return None
            raise self._fail("DescribeExecution", exc) from exc
        response.pop("ResponseMetadata", None)
        for key in ("input", "output"):
            text = response.get(key)
            try:
                response[key] = json.loads(text) if isinstance(text, str) else None
            except ValueError:
                response[key] = None
        return response

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        """``GetExecutionHistory``, oldest first (timestamps as ISO strings); ``[]`` if the
        execution does not exist."""
        events: list[dict[str, Any]] = []
        try:
            pages = self._sfn.get_paginator("get_execution_history").paginate(
                executionArn=execution_arn, reverseOrder=False
            )
            for page in pages:
                for event in page.get("events", []):
                    stamp = event.get("timestamp")
                    events.append(
                        {**event, "timestamp": stamp.isoformat() if stamp is not None else None}
                    )
        except Exception as exc:
            if error_code(exc) in {"ExecutionDoesNotExist", "InvalidArn"}:
                return []
            raise self._fail("GetExecutionHistory", exc) from exc
        return events

    def stop_execution(self, execution_arn: str, *, error: str, cause: str) -> bool:
        """Stop a running execution; ``False`` when it does not exist or has ended."""
        try:
            self._sfn.stop_execution(
                executionArn=execution_arn, error=error[:256], cause=cause[:CAUSE_MAX]
            )
        except Exception as exc:
            if error_code(exc) in {"ExecutionDoesNotExist", "InvalidArn"}:
                return False
            raise self._fail("StopExecution", exc) from exc
        return True

    def _send(self, operation: str, **kwargs: Any) -> bool:
        try:
            getattr(self._sfn, operation)(**kwargs)
        except Exception as exc:
            code = error_code(exc)
            if code in _GONE:
                logger.warning(
                    "the waiting task is gone; nothing to resume",
                    extra={"operation": operation, "code": code, "reason": error_message(exc)},
                )
                return False
            raise self._fail(operation, exc) from exc
        return True

    def send_task_success(self, token: str, output: dict[str, Any]) -> bool:
        return self._send("send_task_success", taskToken=token, output=json.dumps(output))

    def send_task_failure(self, token: str, *, error: str, cause: str) -> bool:
        return self._send(
            "send_task_failure", taskToken=token, error=error[:256], cause=cause[:CAUSE_MAX]
        )

    def send_task_heartbeat(self, token: str) -> bool:
        return self._send("send_task_heartbeat", taskToken=token)
