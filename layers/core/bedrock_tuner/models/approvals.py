"""The approval item (``PK=RUN#<runId>, SK=APPROVAL``): a run over budget waits for a person.

``PENDING`` (with the waiting task's token) until decided once (``APPROVED`` or ``REJECTED``,
by the caller's IAM ARN), or ``EXPIRED`` when the waiting task is gone (docs/table-design.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["ApprovalRecord", "ApprovalStatus"]

ApprovalStatus = Literal["PENDING", "APPROVED", "REJECTED", "EXPIRED"]


class ApprovalRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)

    run_id: str
    status: ApprovalStatus
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
