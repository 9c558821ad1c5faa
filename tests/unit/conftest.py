"""The unit tier: no network. Every test runs with sockets disabled (pytest-socket, unix
sockets included); a test that needs a server, moto or the local cloud belongs to
tests/integration or a tier above it.

The X-Ray SDK's global recorder opens a UDP socket when ``aws_xray_sdk.core`` is first imported
(a handler's Powertools ``Tracer`` imports it); it sends nothing unless a traced segment ends,
so it is imported here, before sockets are disabled.
"""

from __future__ import annotations

from collections.abc import Iterator

import aws_xray_sdk.core  # noqa: F401  (see above)
import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket(allow_unix_socket=False)
    yield
    enable_socket()
