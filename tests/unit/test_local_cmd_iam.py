"""`bedrock-tuner local up` enforces IAM unless `--no-iam` says otherwise."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

pytest.importorskip("moto", reason="the local cloud needs the 'local' extra")

from bedrock_tuner_cli import local_cmd
from bedrock_tuner_cli.main import build_parser


class FakeCloud:
    """Records how ``local up`` builds the local cloud, then stops it at the deploy."""

    made: ClassVar[list[dict[str, Any]]] = []
    endpoint = "http://127.0.0.1:1"

    def __init__(self, **kwargs: Any) -> None:
        FakeCloud.made.append(kwargs)

    def __enter__(self) -> FakeCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def deploy(self, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize(("argv", "enforced"), [([], True), (["--no-iam"], False)])
def test_local_up_enforces_iam_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], enforced: bool
) -> None:
    import bedrock_tuner_localcloud.server as server

    monkeypatch.setattr(server, "LocalCloud", FakeCloud)
    FakeCloud.made.clear()
    args = build_parser().parse_args(["local", "up", *argv])
    with pytest.raises(KeyboardInterrupt):
        local_cmd._up(args)
    assert [made["enforce_iam"] for made in FakeCloud.made] == [enforced]
