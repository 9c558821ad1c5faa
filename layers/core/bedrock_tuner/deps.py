"""The adapters a pipeline step works with, built once per Lambda container.

Domain functions take a :class:`Deps` so tests can hand them adapters bound to moto (or
fakes); handlers call :func:`default_deps`, which builds them lazily from the settings.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from bedrock_tuner.aws.bedrock import BedrockJobs
from bedrock_tuner.aws.dynamo import DynamoStateStore
from bedrock_tuner.aws.s3 import S3Objects
from bedrock_tuner.aws.secrets import SecretReader
from bedrock_tuner.aws.sfn import StepFunctions
from bedrock_tuner.aws.sns import SnsPublisher
from bedrock_tuner.aws.ssm import SsmParameters
from bedrock_tuner.pipeline.runs import iso, utc_now
from bedrock_tuner.settings import Settings, get_settings

__all__ = ["Deps", "default_deps", "reset_deps"]


@dataclass
class Deps:
    settings: Settings
    store: DynamoStateStore
    s3: S3Objects = field(default_factory=S3Objects)
    bedrock: BedrockJobs = field(default_factory=BedrockJobs)
    sfn: StepFunctions = field(default_factory=StepFunctions)
    sns: SnsPublisher = field(default_factory=SnsPublisher)
    secrets: SecretReader = field(default_factory=SecretReader)
    ssm: SsmParameters = field(default_factory=SsmParameters)
    clock: Callable[[], dt.datetime] = utc_now

    def now(self) -> str:
        """The current time as the ISO text every item uses."""
        return iso(self.clock())

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        return cls(settings=settings, store=DynamoStateStore(settings.table_name))


@functools.cache
def default_deps() -> Deps:
    """The adapters of this container (settings read and clients built on first use)."""
    return Deps.from_settings(get_settings())


def reset_deps() -> None:
    """Forget the cached adapters (tests)."""
    default_deps.cache_clear()
