"""The doc-test runner itself: markers, the policy on unmarked blocks, console transcripts,
output comparison and rewriting, and the terminal that carries variables between blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from docblocks import (
    ELLIPSIS,
    MarkerError,
    Terminal,
    clean_env,
    compare,
    console_steps,
    normalise,
    parse_blocks,
    parse_marker,
    printed_commands,
    problems,
    rewrite,
    run_page,
)


def page(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------ markers
def test_a_marker_gives_the_kind_and_its_options() -> None:
    marker = parse_marker('<!-- doctest: run cloud exit=1 retry=30 expect="a b" expect=c -->')
    assert marker is not None
    assert (marker.kind, marker.cloud, marker.exit, marker.retry) == ("run", True, (1,), 30.0)
    assert marker.expect == ("a b", "c")
    assert parse_marker("<!-- an ordinary comment -->") is None


@pytest.mark.parametrize(
    "text",
    [
        "<!-- doctest: skip -->",  # a skip needs a reason
        '<!-- doctest: skip reason="" -->',
        "<!-- doctest: runn -->",
        "<!-- doctest: run exit=one -->",
        "<!-- doctest: output exit=1 -->",
        "<!-- doctest run -->",
        "<!-- doctest: file -->",  # a file needs a path
        "<!-- doctest: file path=../outside.yaml -->",
        "<!-- doctest: run nofollow= -->",
    ],
)
def test_a_bad_marker_is_an_error(text: str) -> None:
    with pytest.raises(MarkerError):
        parse_marker(text)


# ------------------------------------------------------------------------------ the policy
def test_an_unmarked_command_block_or_a_bare_fence_fails_the_tier(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        "# t\n\n```bash\nrm -rf /\n```\n\n```\nwhat is this\n```\n\n"
        "```yaml\na: 1\n```\n\n<!-- doctest: skip -->\n```sh\nx\n```\n",
    )
    found = problems(parse_blocks(path))
    assert len(found) == 3, found
    assert "page.md:3: a ```bash block without a marker" in found[0]
    assert "page.md:7: a fence without a language" in found[1]
    assert "page.md:16" in found[2] and "reason" in found[2]


def test_a_marker_counts_only_on_the_line_before_the_fence(tmp_path: Path) -> None:
    path = page(tmp_path, "<!-- doctest: run -->\n\n```bash\ntrue\n```\n")
    [block] = parse_blocks(path)
    assert block.marker is None and problems([block])


def test_marked_blocks_pass_the_policy_also_in_list_items(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        "- step:\n\n  <!-- doctest: run -->\n  ```bash\n  echo hi\n  ```\n\n"
        "  <!-- doctest: output -->\n  ```text\n  hi\n  ```\n",
    )
    run, output = parse_blocks(path)
    assert run.kind == "run" and run.output is output and output.owner is run
    assert problems([run, output]) == []


def test_an_output_block_needs_a_run_block_before_it(tmp_path: Path) -> None:
    path = page(tmp_path, "<!-- doctest: output -->\n```text\nhi\n```\n")
    assert "no `run` block before it" in problems(parse_blocks(path))[0]


# ------------------------------------------------------------------------------ console
def test_a_console_transcript_is_commands_and_what_they_print() -> None:
    steps = console_steps("$ a \\\n  --long\nout 1\nout 2\n\n$ b\n$ c\nthree\n")
    assert [s.command for s in steps] == [["a \\", "  --long"], ["b"], ["c"]]
    assert [s.shown for s in steps] == [["out 1", "out 2"], [], ["three"]]
    assert steps[0].blank_after == 1
    assert console_steps("no prompt\n$ a\n") == []


# ------------------------------------------------------------------------------ comparison
def test_normalise_masks_what_changes_from_run_to_run() -> None:
    one = normalise(
        "r764313300701  2026-12-07T22:54:58Z  http://127.0.0.1:41479  bedrock-tuner-databucket-"
        "jepyxqvkj2uj  arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:"
        "300k/2cgjh0sk5o1p  bedrock-tuner-HandleApprovalFunction-NIH1YLFQQJDP  427 MB/s  0.3 s"
    )
    two = normalise(
        "rbf11b33e8245 2026-01-01T00:00:01Z http://127.0.0.1:5000 bedrock-tuner-databucket-"
        "aaaaaaaaaaaa arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:"
        "300k/zzzzzzzzzzzz bedrock-tuner-HandleApprovalFunction-ABCDEFGHIJKL 1,200 MB/s 12 s"
    )
    assert one == two
    # what the reader needs to see stays: counts, codes, names
    assert normalise("10 errors in 7 of 19 records") != normalise("9 errors in 7 of 19 records")


def test_an_ellipsis_line_stands_for_any_lines_and_inside_a_line_for_any_text() -> None:
    shown = ["first", ELLIPSIS, "job arn:aws:bedrock:…", "last"]
    assert compare(shown, ["first", "x", "y", "job arn:aws:bedrock:us-east-1:1:j/abc", "last"]).ok
    assert compare(shown, ["first", "job arn:aws:bedrock:x", "last"]).ok
    bad = compare(shown, ["first", "job arn:aws:bedrock:x", "changed"])
    assert not bad.ok
    assert "- last\n  + changed" in bad.differences()


def test_missing_and_extra_lines_are_reported() -> None:
    result = compare(["a", "b", "c"], ["a", "c", "d"])
    assert not result.ok
    text = result.differences()
    assert "- b   (not printed)" in text and "+ d   (printed, not shown)" in text


def test_the_update_keeps_matching_lines_and_gaps_and_takes_the_rest_from_the_output() -> None:
    shown = ["id r764313300701", ELLIPSIS, "total 3", "gone"]
    printed = ["id r000000000001", "noise", "more noise", "total 4", "new"]
    assert compare(shown, printed).updated() == ["id r764313300701", ELLIPSIS, "total 4", "new"]


# ------------------------------------------------------------------------------ running
def test_variables_carry_from_one_block_to_the_next(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    terminal = Terminal(tmp_path, clean_env(home), tmp_path)
    first = terminal.run("RUN_ID=r1\nexport OTHER=two", timeout=30)
    assert first.exit == 0
    terminal.keep()
    second = terminal.run('echo "$RUN_ID $OTHER"', timeout=30)
    assert (second.exit, second.output) == (0, "r1 two\n")
    # a failing block's variables are not kept
    assert terminal.run("RUN_ID=r2\nfalse\necho never", timeout=30).exit == 1
    assert terminal.run('echo "$RUN_ID"', timeout=30).output == "r1\n"


def test_a_block_stops_at_its_first_failure_and_reports_command_status_and_output(
    tmp_path: Path,
) -> None:
    path = page(
        tmp_path,
        "<!-- doctest: run -->\n```bash\necho before\nfalse | cat\necho after\n```\n",
    )
    report = run_page(path, tmp_path / "scratch")
    [failure] = report.failures
    assert "page.md:2" in failure and "false | cat" in failure
    assert "exited 1 (expected 0)" in failure and "before" in failure
    assert "after" not in failure.split("it printed:")[1]


def test_a_transcript_is_checked_command_by_command_and_can_be_rewritten(
    tmp_path: Path,
) -> None:
    text = (
        "<!-- doctest: run -->\n```console\n$ echo one\none\n$ printf 'a\\nb\\n'\na\nc\n```\n\n"
        "<!-- doctest: run exit=3 -->\n```console\n$ (echo oops; exit 3)\noops\n```\n"
    )
    path = page(tmp_path, text)
    report = run_page(path, tmp_path / "scratch-1")
    [failure] = report.failures
    assert "printf" in failure and "- c\n  + b" in failure
    updated = run_page(path, tmp_path / "scratch-2", update=True)
    assert not updated.failures
    rewrite(path, updated.rewrites)
    assert "$ printf 'a\\nb\\n'\na\nb\n```" in path.read_text()
    assert not run_page(path, tmp_path / "scratch-3").failures


def test_an_output_block_is_compared_with_the_run_block_before_it(tmp_path: Path) -> None:
    text = (
        "<!-- doctest: run exit=1 -->\n```bash\necho 'took 3.2 s at 2026-01-01T00:00:00Z'\n"
        "exit 1\n```\n\nprints:\n\n<!-- doctest: output -->\n```text\n"
        "took 0.5 s at 2025-05-05T10:10:10Z\n```\n"
    )
    path = page(tmp_path, text)
    report = run_page(path, tmp_path / "scratch")
    assert not report.failures and report.checked == ["page.md:2"]
    path.write_text(text.replace("took 0.5 s at", "took 0.5 s on"))
    [failure] = run_page(path, tmp_path / "scratch-2").failures
    assert "took 0.5 s on" in failure


def test_a_block_that_waits_is_run_again_until_it_passes(tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    text = (
        "<!-- doctest: run retry=20 -->\n```bash\n"
        f"test -f {flag} || {{ touch {flag}; exit 1; }}\necho ready\n```\n"
    )
    report = run_page(page(tmp_path, text), tmp_path / "scratch")
    assert not report.failures and report.ran == ["page.md:2"]


def test_a_block_is_run_in_a_copy_of_the_checkout(tmp_path: Path) -> None:
    text = (
        "<!-- doctest: run -->\n```bash\ntest -f template.yaml\ntest ! -e .git\n"
        "echo x > written-by-the-doc.txt\n```\n"
    )
    report = run_page(page(tmp_path, text), tmp_path / "scratch")
    assert not report.failures
    assert (tmp_path / "scratch" / "checkout" / "written-by-the-doc.txt").is_file()


def test_a_file_block_is_written_for_the_blocks_after_it(tmp_path: Path) -> None:
    text = (
        "<!-- doctest: file path=conf/my.yaml -->\n```yaml\na: 1\n```\n\n"
        "<!-- doctest: run exit=0,1 -->\n```console\n$ cat conf/my.yaml\na: 1\n"
        "$ grep -q b conf/my.yaml\n```\n"
    )
    path = page(tmp_path, text)
    assert problems(parse_blocks(path)) == []
    report = run_page(path, tmp_path / "scratch")
    assert not report.failures and report.checked == ["page.md:7"]
    # a status per command: the number of statuses must be the number of commands
    path.write_text(text.replace("exit=0,1", "exit=0,1,0"))
    assert "a status per command" in problems(parse_blocks(path))[0]


def test_commands_the_cli_prints_are_found_unless_they_are_templates() -> None:
    lines = [
        "follow it: bedrock-tuner runs get r764313300701",
        "fix: check the run id: `bedrock-tuner runs list` lists the runs (`--pipeline NAME` …)",
        "start a run: … or `bedrock-tuner runs start support-bot S3_URI`",
        "fix: usage: bedrock-tuner approvals reject [-h] … (more: bedrock-tuner approvals reject --help)",
        "see `bedrock-tuner` for help",
    ]
    assert printed_commands(lines) == [
        "bedrock-tuner runs get r764313300701",
        "bedrock-tuner runs list",
        "bedrock-tuner approvals reject --help",
    ]


def test_a_command_the_cli_printed_in_a_transcript_is_run_as_printed(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    tool = fake / "bedrock-tuner"
    # a CLI whose `runs get` fails: the command printed after `approve` does not run
    tool.write_text(
        '#!/bin/bash\nif [ "$1" = approve ]; then echo "follow it: bedrock-tuner runs get $2"; '
        'RUN=x; exit 0; fi\necho "no run $3" >&2; exit 2\n'
    )
    tool.chmod(0o755)
    text = (
        "<!-- doctest: run -->\n```console\n"
        f"$ export PATH={fake}:$PATH RUN_ID=r0123456789ab\n"
        '$ bedrock-tuner approve "$RUN_ID"\nfollow it: bedrock-tuner runs get r0123456789ab\n```\n'
    )
    report = run_page(page(tmp_path, text), tmp_path / "scratch")
    [failure] = report.failures
    assert "`bedrock-tuner runs get r0123456789ab`, a command the CLI printed, exited 2" in failure
    assert "no run r0123456789ab" in failure
