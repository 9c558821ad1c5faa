"""Errors of the local cloud (never seen by a Lambda handler)."""

from __future__ import annotations


class LocalCloudError(Exception):
    """The local cloud cannot do what was asked; the message says why and what to do."""


class UnsupportedResourceError(LocalCloudError):
    """The template has a resource type neither moto nor the deployer can create."""


class EnvironmentConflictError(LocalCloudError):
    """Two functions set the same environment variable to different values.

    Handlers run in one process, so ``os.environ`` is shared: the local cloud cannot give
    each function its own value.
    """
