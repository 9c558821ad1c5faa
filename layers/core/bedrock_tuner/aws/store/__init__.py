"""The state table's stores, one per aggregate, over one table helper (docs/table-design.md).

:mod:`~bedrock_tuner.aws.store.table` is the only module that speaks DynamoDB's expression
language; each store maps one aggregate's records (``models/``) to items and says what a
failed condition means for it.
"""

from __future__ import annotations

from bedrock_tuner.aws.store.aliases import DynamoAliasStore
from bedrock_tuner.aws.store.approvals import DynamoApprovalStore
from bedrock_tuner.aws.store.jobs import DynamoJobStore
from bedrock_tuner.aws.store.runs import DynamoRunStore
from bedrock_tuner.aws.store.table import Table
from bedrock_tuner.aws.store.versions import DynamoVersionStore

__all__ = [
    "DynamoAliasStore",
    "DynamoApprovalStore",
    "DynamoJobStore",
    "DynamoRunStore",
    "DynamoVersionStore",
    "Table",
]
