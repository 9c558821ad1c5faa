"""``bedrock-tuner runs|approvals|versions|aliases|promote|rollback`` without an API: usage
errors, the table renderer, the commands the CLI prints. Against a (fake) API:
tests/integration/test_cli_stack_cmds.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock_tuner_cli.main import main
from bedrock_tuner_cli.table import render_table
from cli_env import isolate_cli


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli(monkeypatch, tmp_path, access_key="AKIDFAKE000000000000")


def test_local_without_local_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "list", "--local"]) == 2
    err = capsys.readouterr().err
    assert "error [BT_STACK]" in err and "bedrock-tuner local up" in err


def test_target_flags_are_exclusive_and_reason_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["runs", "list", "--local", "--api-url", "http://x"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        main(["promote", "f", "prod", "2"])
    assert "--reason" in capsys.readouterr().err


def test_table_renderer_aligns_columns() -> None:
    text = render_table(("A", "LONGER"), [("xxxx", None), ("y", 1.5)])
    assert text.splitlines() == ["A     LONGER", "xxxx  -", "y     1.5"]


# --------------------------------------------------------------------------- issue 7


def test_argparse_errors_are_coded_with_a_fix(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["promote", "f", "prod", "2"],  # missing --reason
        ["versions", "get", "f", "two"],  # not a number
        ["runs", "list", "--local", "--api-url", "http://x"],  # exclusive flags
    ):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
        err = capsys.readouterr().err
        lines = err.splitlines()
        assert lines[0].startswith("error [BT_USAGE]: "), err
        assert lines[-1].startswith("fix: ") and "bedrock-tuner" in lines[-1], err
        assert "Traceback" not in err


def test_printed_follow_up_commands_name_the_same_stack() -> None:
    """Issue 7, finding 2: a command the CLI prints runs as printed against the stack the
    user named (not the default one)."""
    from bedrock_tuner_cli.stack_cmds import with_target

    text = "follow it: bedrock-tuner runs get r1\nsee `bedrock-tuner versions list f`.\n"
    out = with_target(text, "--stack prod --region eu-west-1")
    assert "follow it: bedrock-tuner runs get r1 --stack prod --region eu-west-1\n" in out
    assert "`bedrock-tuner versions list f --stack prod --region eu-west-1`." in out
    assert with_target("bedrock-tuner runs get r1 --local", "--stack x") == (
        "bedrock-tuner runs get r1 --local"
    )
    assert with_target("bedrock-tuner validate f.jsonl --model m", "--local") == (
        "bedrock-tuner validate f.jsonl --model m"  # not a stack command
    )
