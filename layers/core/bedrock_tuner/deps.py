"""The composition root: the adapters a pipeline step works with, built once per container.

Domain functions take a :class:`Deps` so tests can hand them adapters bound to moto (or
in-memory fakes: the fields are typed by the Protocols of :mod:`bedrock_tuner.ports`);
handlers call :func:`default_deps`, which builds the boto3 adapters lazily from the
settings. It sits above the adapters and below the domain (tests/unit/test_import_direction.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedrock_tuner.aws.bedrock import BedrockJobs
from bedrock_tuner.aws.s3 import S3Objects
from bedrock_tuner.aws.secrets import SecretReader
from bedrock_tuner.aws.sfn import StepFunctions
from bedrock_tuner.aws.sns import SnsPublisher
from bedrock_tuner.aws.ssm import SsmParameters
from bedrock_tuner.aws.store import (
    DynamoAliasStore,
    DynamoApprovalStore,
    DynamoJobStore,
    DynamoRunStore,
    DynamoVersionStore,
    Table,
)
from bedrock_tuner.clock import iso, utc_now
from bedrock_tuner.ports import (
    AliasStore,
    ApprovalStore,
    CustomizationJobs,
    JobStore,
    ObjectStore,
    ParameterStore,
    Publisher,
    RunStore,
    SecretStore,
    VersionStore,
    Workflow,
)
from bedrock_tuner.settings import Settings, get_settings

__all__ = ["Deps", "default_deps", "reset_deps"]


@dataclass
class Deps:
    settings: Settings
    # the state table, one store per aggregate (docs/table-design.md)
    runs: RunStore
    approvals: ApprovalStore
    jobs: JobStore
    versions: VersionStore
    aliases: AliasStore
    s3: ObjectStore = field(default_factory=S3Objects)
    bedrock: CustomizationJobs = field(default_factory=BedrockJobs)
    sfn: Workflow = field(default_factory=StepFunctions)
    sns: Publisher = field(default_factory=SnsPublisher)
    secrets: SecretStore = field(default_factory=SecretReader)
    ssm: ParameterStore = field(default_factory=SsmParameters)
    clock: Callable[[], dt.datetime] = utc_now

    def now(self) -> str:
        """The current time as the ISO text every item uses."""
        return iso(self.clock())

    @classmethod
    def on_table(cls, settings: Settings, table: Table, **adapters: Any) -> Deps:
        """Deps whose five stores share ``table``; the other adapters as given, else the
        defaults."""
        return cls(
            settings=settings,
            runs=DynamoRunStore(table),
            approvals=DynamoApprovalStore(table),
            jobs=DynamoJobStore(table),
            versions=DynamoVersionStore(table),
            aliases=DynamoAliasStore(table),
            **adapters,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        return cls.on_table(settings, Table(settings.table_name))


@functools.cache
def default_deps() -> Deps:
    """The adapters of this container (settings read and clients built on first use)."""
    return Deps.from_settings(get_settings())


def reset_deps() -> None:
    """Forget the cached adapters (tests)."""
    default_deps.cache_clear()
