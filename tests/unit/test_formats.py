"""Per-format record checks: a valid minimum dataset passes; each broken record yields
exactly the expected error code(s), on its line, at the expected JSON path.

Every invalid case writes the model's minimum number of valid records and replaces the
record on line 3 (index 2) with a broken one, so dataset-level errors never interfere.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from factories import (
    BUCKET,
    CLAUDE_HAIKU,
    FORMATS,
    LLAMA_32_1B,
    LLAMA_32_11B,
    NOVA_2_LITE,
    NOVA_MICRO,
    NOVA_RESERVED,
    TITAN_LITE,
    Format,
    conversation,
    error_codes,
    examples_of,
    image,
    lines_of,
    message,
    nova2_video_record,
    prompt_completion,
    question,
    reasoning,
    text,
    tool_config,
    tool_result,
    tool_use,
    validate,
    video,
)

BAD_INDEX = 2
BAD_LINE = BAD_INDEX + 1

NOVA = FORMATS["nova"]
NOVA_MICRO_FMT = FORMATS["nova_micro"]
NOVA2 = FORMATS["nova2_multimodal"]
LLAMA32 = FORMATS["llama32"]
LLAMA32_11B = Format("llama32_11b", LLAMA_32_11B, FORMATS["llama32"].record, 100)
CLAUDE = FORMATS["claude"]
TITAN = FORMATS["titan"]
COHERE = FORMATS["cohere"]
CPT = FORMATS["cpt"]
TITAN_IMAGE = FORMATS["titan_image"]
DISTILL = FORMATS["distillation"]
RFT = FORMATS["rft"]


def edit(fmt: Format, change: Callable[[dict[str, Any]], Any]) -> Callable[[], dict[str, Any]]:
    """A bad record: the format's record for line 3 with ``change`` applied in place."""

    def build() -> dict[str, Any]:
        rec = copy.deepcopy(fmt.record(BAD_INDEX))
        change(rec)
        return rec

    return build


def with_messages(*msgs: dict[str, Any], **extra: Any) -> Callable[[], dict[str, Any]]:
    return lambda: conversation(BAD_INDEX, messages=list(msgs), **extra)


def run_with_bad(make_dataset: Callable[..., Path], fmt: Format, bad: Any, **kw: Any) -> Any:
    """Validate fmt's minimum dataset with line 3 replaced by ``bad``."""
    path = make_dataset(fmt, max(fmt.min_records, BAD_INDEX + 2), bad={BAD_INDEX: bad})
    return validate(path, fmt.model, **{**fmt.kwargs(), **kw})


def assert_only(report: Any, expected: list[tuple[str, str | None]], line: int = BAD_LINE) -> None:
    """The report's errors are exactly ``expected`` (code, JSON path), all on ``line``."""
    want: dict[str, int] = {}
    for code, _ in expected:
        want[code] = want.get(code, 0) + 1
    assert error_codes(report) == want, [
        (p.code, [(e.line, e.path, e.message) for e in p.examples]) for p in report.problems
    ]
    for code, path in expected:
        found = [(e.line, e.path) for e in examples_of(report, code)]
        assert (line, path) in found, (code, found)
    assert not report.summary.valid
    assert report.summary.invalid_records == 1


# --------------------------------------------------------------------------- valid files
@pytest.mark.parametrize("name", list(FORMATS))
def test_valid_minimum_dataset_passes(name: str, make_dataset: Callable[..., Path]) -> None:
    # Given the model's minimum number of well-formed records of the format
    fmt = FORMATS[name]
    path = make_dataset(fmt)
    # When it is validated for that model
    report = validate(path, fmt.model, **fmt.kwargs())
    # Then it is valid, every line counted as a record, nothing invalid
    assert report.summary.valid, [(p.code, p.examples[:1]) for p in report.problems]
    assert error_codes(report) == {}
    assert report.summary.records == fmt.min_records
    assert report.summary.invalid_records == 0
    assert report.files[0].lines == fmt.min_records
    assert report.summary.training_tokens > 0


@pytest.mark.parametrize("name", [n for n, f in FORMATS.items() if f.min_records > 1])
def test_one_record_below_the_minimum_is_rejected(
    name: str, make_dataset: Callable[..., Path]
) -> None:
    # Given one record fewer than the model needs
    fmt = FORMATS[name]
    report = validate(make_dataset(fmt, fmt.min_records - 1), fmt.model, **fmt.kwargs())
    # Then only the record count is wrong
    assert error_codes(report) == {"E_RECORDS_TOO_FEW": 1}
    assert str(fmt.min_records) in examples_of(report, "E_RECORDS_TOO_FEW")[0].message


def test_nova_accepts_any_schema_version_string(make_dataset: Callable[..., Path]) -> None:
    # Given a Nova record whose schemaVersion is not the documented value
    bad = conversation(BAD_INDEX, schema_version="my-own-version")
    # Then Nova (which accepts any string) still finds the dataset valid
    report = run_with_bad(make_dataset, NOVA, bad)
    assert report.summary.valid, error_codes(report)


def test_jpg_extension_matches_jpeg_format(make_dataset: Callable[..., Path]) -> None:
    # Given an image declared "jpeg" whose file ends in .jpg (the same format)
    bad = conversation(
        BAD_INDEX,
        messages=[
            message("user", question(BAD_INDEX), image(f"s3://{BUCKET}/img/a-1.jpg", "jpeg")),
            message("assistant", "A cat."),
        ],
    )
    report = run_with_bad(make_dataset, NOVA, bad)
    # Then no media-format error is raised
    assert report.summary.valid, error_codes(report)


def test_distillation_prompt_may_carry_its_answer(make_dataset: Callable[..., Path]) -> None:
    # Given a distillation prompt with one user message and its assistant answer
    bad = conversation(BAD_INDEX, messages=[message("user", "Hi?"), message("assistant", "Hello.")])
    report = run_with_bad(make_dataset, DISTILL, bad)
    # Then it is still a single exchange: valid
    assert report.summary.valid, error_codes(report)


def test_rft_extra_keys_are_allowed(make_dataset: Callable[..., Path]) -> None:
    # Given an RFT record with keys the grader Lambda reads
    bad = {**RFT.record(BAD_INDEX), "difficulty": "easy", "tools": []}
    report = run_with_bad(make_dataset, RFT, bad)
    assert report.summary.valid, error_codes(report)


# --------------------------------------------------------------------------- invalid records
def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda rec: rec.pop(key)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(rec: dict[str, Any]) -> None:
        target: Any = rec
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    return lambda rec: rec.__setitem__(new, rec.pop(old))


def _rename_in_message(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(rec: dict[str, Any]) -> None:
        msg = rec["messages"][0]
        msg[new] = msg.pop(old)

    return change


CASES = [
    # ---- keys ------------------------------------------------------------------------
    pytest.param(
        NOVA,
        edit(NOVA, _drop("messages")),
        [("E_MISSING_KEY", "$.messages")],
        id="nova-missing-messages",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _drop("schemaVersion")),
        [("E_MISSING_KEY", "$.schemaVersion")],
        id="nova-missing-schemaVersion",
    ),
    pytest.param(
        LLAMA32,
        edit(LLAMA32, _drop("schemaVersion")),
        [("E_MISSING_KEY", "$.schemaVersion")],
        id="llama-missing-schemaVersion",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, lambda r: r["messages"][0].pop("role")),
        [("E_MISSING_KEY", "$.messages[0].role")],
        id="nova-missing-role",
    ),
    pytest.param(
        TITAN,
        edit(TITAN, _drop("completion")),
        [("E_MISSING_KEY", "$.completion")],
        id="titan-missing-completion",
    ),
    pytest.param(
        CPT,
        {"text": "plain text"},
        [("E_MISSING_KEY", "$.input"), ("E_UNKNOWN_KEY", "$.text")],
        id="cpt-missing-input",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, _drop("messages")),
        [("E_MISSING_KEY", "$.messages")],
        id="claude-missing-messages",
    ),
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _drop("caption")),
        [("E_MISSING_KEY", "$.caption")],
        id="image-missing-caption",
    ),
    pytest.param(
        RFT,
        edit(RFT, _drop("reference_answer")),
        [("E_MISSING_KEY", "$.reference_answer")],
        id="rft-missing-reference",
    ),
    pytest.param(
        RFT,
        edit(RFT, _set(("reference_answer",), None)),
        [("E_MISSING_KEY", "$.reference_answer")],
        id="rft-null-reference",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _rename_in_message("content", "contnet")),
        [("E_MISSING_KEY", "$.messages[0].content"), ("E_UNKNOWN_KEY", "$.messages[0].contnet")],
        id="nova-typo-content",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _rename("schemaVersion", "schemaVerison")),
        [("E_UNKNOWN_KEY", "$.schemaVerison")],
        id="nova-typo-schemaVersion",
    ),
    pytest.param(
        TITAN,
        edit(TITAN, _rename("prompt", "promt")),
        [("E_MISSING_KEY", "$.prompt"), ("E_UNKNOWN_KEY", "$.promt")],
        id="titan-typo-prompt",
    ),
    pytest.param(
        TITAN,
        edit(TITAN, _set(("label",), "x")),
        [("E_UNKNOWN_KEY", "$.label")],
        id="titan-extra-key",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, _set(("sytem",), "x")),
        [("E_UNKNOWN_KEY", "$.sytem")],
        id="claude-typo-system",
    ),
    # ---- types -----------------------------------------------------------------------
    pytest.param(
        NOVA,
        edit(NOVA, _set(("messages", 0, "content"), "just a string")),
        [("E_WRONG_TYPE", "$.messages[0].content")],
        id="nova-content-string",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _set(("messages", 0, "role"), 1)),
        [("E_WRONG_TYPE", "$.messages[0].role")],
        id="nova-role-number",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _set(("messages", 1, "content", 0, "text"), 42)),
        [("E_WRONG_TYPE", "$.messages[1].content[0].text")],
        id="nova-text-number",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _set(("system",), "a string system")),
        [("E_WRONG_TYPE", "$.system")],
        id="nova-system-string",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _set(("messages",), {"role": "user"})),
        [("E_WRONG_TYPE", "$.messages")],
        id="nova-messages-object",
    ),
    pytest.param(
        TITAN,
        edit(TITAN, _set(("completion",), 42)),
        [("E_WRONG_TYPE", "$.completion")],
        id="titan-completion-number",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, _set(("system",), ["a list"])),
        [("E_WRONG_TYPE", "$.system")],
        id="claude-system-list",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, _set(("messages", 1, "role"), None)),
        [("E_WRONG_TYPE", "$.messages[1].role")],
        id="claude-role-null",
    ),
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _set(("image-ref",), ["s3://b/k.png"])),
        [("E_WRONG_TYPE", "$.image-ref")],
        id="image-ref-list",
    ),
    # ---- empty text ------------------------------------------------------------------
    pytest.param(
        NOVA,
        edit(NOVA, _set(("messages", 0, "content", 0, "text"), "")),
        [("E_EMPTY_TEXT", "$.messages[0].content[0].text")],
        id="nova-empty-user-text",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _set(("messages", 1, "content", 0, "text"), " \t\n ")),
        [("E_EMPTY_TEXT", "$.messages[1].content[0].text")],
        id="nova-whitespace-answer",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, _set(("system", 0, "text"), "   ")),
        [("E_EMPTY_TEXT", "$.system[0].text")],
        id="nova-whitespace-system",
    ),
    pytest.param(
        NOVA2,
        edit(NOVA2, _set(("messages", 1, "content", 0), reasoning("  "))),
        [("E_EMPTY_TEXT", "$.messages[1].content[0].reasoningContent.reasoningText.text")],
        id="nova2-empty-reasoning",
    ),
    pytest.param(
        NOVA2,
        edit(NOVA2, _set(("messages", 3, "content", 0, "text"), "")),
        [("E_EMPTY_TEXT", "$.messages[3].content[0].text")],
        id="nova2-empty-text",
    ),
    pytest.param(
        TITAN,
        edit(TITAN, _set(("prompt",), "")),
        [("E_EMPTY_TEXT", "$.prompt")],
        id="titan-empty-prompt",
    ),
    pytest.param(
        TITAN,
        edit(TITAN, _set(("completion",), "  \n")),
        [("E_EMPTY_TEXT", "$.completion")],
        id="titan-whitespace-completion",
    ),
    pytest.param(
        COHERE,
        edit(COHERE, _set(("completion",), "")),
        [("E_EMPTY_TEXT", "$.completion")],
        id="cohere-empty-completion",
    ),
    pytest.param(
        CPT,
        edit(CPT, _set(("input",), "\t")),
        [("E_EMPTY_TEXT", "$.input")],
        id="cpt-whitespace-input",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, _set(("messages", 1, "content"), " ")),
        [("E_EMPTY_TEXT", "$.messages[1].content")],
        id="claude-whitespace-content",
    ),
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _set(("caption",), "    ")),
        [("E_EMPTY_TEXT", "$.caption")],
        id="image-whitespace-caption",
    ),
    pytest.param(
        RFT,
        edit(RFT, _set(("messages", 1, "content"), "")),
        [("E_EMPTY_TEXT", "$.messages[1].content")],
        id="rft-empty-prompt",
    ),
    pytest.param(
        DISTILL,
        edit(DISTILL, _set(("messages", 0, "content", 0, "text"), " ")),
        [("E_EMPTY_TEXT", "$.messages[0].content[0].text")],
        id="distill-empty-prompt",
    ),
    # ---- schemaVersion -----------------------------------------------------------------
    pytest.param(
        LLAMA32,
        edit(LLAMA32, _set(("schemaVersion",), "bedrock-conversation-2023")),
        [("E_SCHEMA_VERSION", "$.schemaVersion")],
        id="llama-wrong-schema",
    ),
    pytest.param(
        DISTILL,
        edit(DISTILL, _set(("schemaVersion",), "v1")),
        [("E_SCHEMA_VERSION", "$.schemaVersion")],
        id="claude-distill-wrong-schema",
    ),
    # ---- conversations -----------------------------------------------------------------
    pytest.param(NOVA, with_messages(), [("E_NO_MESSAGES", "$.messages")], id="nova-no-messages"),
    pytest.param(
        LLAMA32, with_messages(), [("E_NO_MESSAGES", "$.messages")], id="llama-no-messages"
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, _set(("messages",), [])),
        [("E_NO_MESSAGES", "$.messages")],
        id="claude-no-messages",
    ),
    pytest.param(
        RFT,
        edit(RFT, _set(("messages",), [])),
        [("E_NO_MESSAGES", "$.messages")],
        id="rft-no-messages",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "Hi"), message("model", "Hmm"), message("assistant", "Hello")
        ),
        [("E_ROLE_INVALID", "$.messages[1].role")],
        id="nova-role-model",
    ),
    pytest.param(
        CLAUDE,
        edit(
            CLAUDE,
            lambda r: r["messages"].extend(
                [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]
            ),
        ),
        [("E_ROLE_INVALID", "$.messages[2].role")],
        id="claude-role-bot",
    ),
    pytest.param(
        RFT,
        edit(RFT, _set(("messages", 0, "role"), "tool")),
        [("E_ROLE_INVALID", "$.messages[0].role")],
        id="rft-role-tool",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("assistant", "Hello"), message("user", "Hi"), message("assistant", "Yes?")
        ),
        [("E_ROLE_FIRST", "$.messages[0].role")],
        id="nova-first-assistant",
    ),
    pytest.param(
        CLAUDE,
        edit(
            CLAUDE, lambda r: r["messages"].insert(0, {"role": "assistant", "content": "Welcome"})
        ),
        [("E_ROLE_FIRST", "$.messages[0].role")],
        id="claude-first-assistant",
    ),
    pytest.param(
        RFT,
        edit(RFT, _set(("messages", 1, "role"), "assistant")),
        [("E_NO_PROMPT", "$.messages")],
        id="rft-no-user",
    ),
    pytest.param(
        NOVA,
        with_messages(message("user", "Hi"), message("assistant", "Hello"), message("user", "Bye")),
        [("E_ROLE_LAST", "$.messages[2].role")],
        id="nova-last-user",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, lambda r: r["messages"].append({"role": "user", "content": "More?"})),
        [("E_ROLE_LAST", "$.messages[2].role")],
        id="claude-last-user",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "Hi"), message("user", "Anyone?"), message("assistant", "Hello")
        ),
        [("E_ROLE_ORDER", "$.messages[1].role")],
        id="nova-user-twice",
    ),
    pytest.param(
        LLAMA32,
        with_messages(
            message("user", "Hi"), message("assistant", "Hello"), message("assistant", "Again")
        ),
        [("E_ROLE_ORDER", "$.messages[2].role")],
        id="llama-assistant-twice",
    ),
    pytest.param(
        CLAUDE,
        edit(CLAUDE, lambda r: r["messages"].insert(1, {"role": "user", "content": "And?"})),
        [("E_ROLE_ORDER", "$.messages[1].role")],
        id="claude-user-twice",
    ),
    pytest.param(
        DISTILL,
        with_messages(
            message("user", "Hi"), message("assistant", "Hello"), message("user", "More")
        ),
        [("E_TOO_MANY_TURNS", "$.messages")],
        id="distill-three-turns",
    ),
    pytest.param(
        NOVA,
        with_messages(message("user", "Hi"), {"role": "assistant", "content": []}),
        [("E_EMPTY_CONTENT", "$.messages[1].content")],
        id="nova-empty-content",
    ),
    pytest.param(
        NOVA2,
        edit(NOVA2, _set(("messages", 2, "content"), [])),
        [("E_EMPTY_CONTENT", "$.messages[2].content"), ("E_TOOL_USE_UNANSWERED", "$.messages[2]")],
        id="nova2-empty-content-unanswers-tool",
    ),
    # ---- blocks ------------------------------------------------------------------------
    pytest.param(
        NOVA2,
        edit(NOVA2, lambda r: r["messages"][0]["content"].insert(1, {})),
        [("E_BLOCK_INVALID", "$.messages[0].content[1]")],
        id="nova2-empty-block",
    ),
    pytest.param(
        NOVA2,
        edit(NOVA2, _set(("messages", 3, "content", 0), {**text("x"), **image()})),
        [("E_BLOCK_INVALID", "$.messages[3].content[0]")],
        id="nova2-text-and-image",
    ),
    pytest.param(
        NOVA_MICRO_FMT,
        edit(NOVA_MICRO_FMT, lambda r: r["messages"][0]["content"].append({})),
        [("E_BLOCK_INVALID", "$.messages[0].content[1]")],
        id="micro-empty-block",
    ),
    pytest.param(
        NOVA_MICRO_FMT,
        edit(NOVA_MICRO_FMT, lambda r: r["messages"][0]["content"].append(image())),
        [("E_BLOCK_UNSUPPORTED", "$.messages[0].content[1].image")],
        id="micro-image",
    ),
    pytest.param(
        LLAMA32_11B,
        edit(LLAMA32_11B, lambda r: r["messages"][0]["content"].append(video())),
        [("E_BLOCK_UNSUPPORTED", "$.messages[0].content[1].video")],
        id="llama11b-video",
    ),
    pytest.param(
        NOVA,
        edit(NOVA, lambda r: r["messages"][1]["content"].append(reasoning())),
        [("E_BLOCK_UNSUPPORTED", "$.messages[1].content[1].reasoningContent")],
        id="nova1-reasoning",
    ),
    pytest.param(
        NOVA2,
        edit(NOVA2, lambda r: r["messages"][0]["content"].append(reasoning())),
        [("E_REASONING_ROLE", "$.messages[0].content[3].reasoningContent")],
        id="nova2-reasoning-in-user",
    ),
    # ---- tools -------------------------------------------------------------------------
    pytest.param(
        NOVA2,
        with_messages(
            message("user", "Weather?"),
            message("assistant", tool_use("t1")),
            message("user", "Well?"),
            message("assistant", "Sunny"),
            toolConfig=tool_config(),
        ),
        [("E_TOOL_USE_UNANSWERED", "$.messages[2]")],
        id="nova2-tool-unanswered",
    ),
    pytest.param(
        NOVA2,
        with_messages(
            message("user", "Weather?"),
            message("assistant", tool_use("t1")),
            message("user", tool_result("t2")),
            message("assistant", "Sunny"),
            toolConfig=tool_config(),
        ),
        [
            ("E_TOOL_RESULT_UNMATCHED", "$.messages[2].content[0].toolResult.toolUseId"),
            ("E_TOOL_USE_UNANSWERED", "$.messages[2]"),
        ],
        id="nova2-tool-wrong-id",
    ),
    pytest.param(
        NOVA2,
        with_messages(message("user", tool_result("t9")), message("assistant", "Sunny")),
        [("E_TOOL_RESULT_UNMATCHED", "$.messages[0].content[0].toolResult.toolUseId")],
        id="nova2-result-without-use",
    ),
    pytest.param(
        NOVA2,
        with_messages(
            message("user", "Weather?"),
            message("assistant", tool_use("t1")),
            message("user", tool_result("t1"), tool_result("t1")),
            message("assistant", "Sunny"),
            toolConfig=tool_config(),
        ),
        [("E_TOOL_RESULT_UNMATCHED", "$.messages[2].content[1].toolResult.toolUseId")],
        id="nova2-result-twice",
    ),
    pytest.param(
        NOVA2,
        with_messages(
            message("user", "Weather?"),
            message("assistant", tool_use("t1")),
            message("user", tool_result("t1")),
            message("assistant", "Sunny"),
        ),
        [("E_TOOL_CONFIG", "$.toolConfig")],
        id="nova2-no-toolconfig",
    ),
    pytest.param(
        NOVA2,
        with_messages(
            message("user", "Weather?"),
            message("assistant", tool_use("t1", "get_time")),
            message("user", tool_result("t1")),
            message("assistant", "Noon"),
            toolConfig=tool_config("get_weather"),
        ),
        [("E_TOOL_CONFIG", "$.messages[1].content[0].toolUse.name")],
        id="nova2-tool-not-configured",
    ),
    # ---- media -------------------------------------------------------------------------
    pytest.param(
        NOVA,
        with_messages(message("user", "Draw a cat"), message("assistant", "Here", image())),
        [("E_MEDIA_ROLE", "$.messages[1].content[1].image")],
        id="nova-image-from-assistant",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "Which?", *[image(f"s3://{BUCKET}/i/{k}.png") for k in range(11)]),
            message("assistant", "The third."),
        ),
        [("E_MEDIA_COUNT", "$.messages")],
        id="nova-11-images",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message(
                "user", "Compare", video(f"s3://{BUCKET}/v/a.mp4"), video(f"s3://{BUCKET}/v/b.mp4")
            ),
            message("assistant", "Same."),
        ),
        [("E_MEDIA_COUNT", "$.messages")],
        id="nova-2-videos",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image("https://example.com/cat.png")),
            message("assistant", "A cat."),
        ),
        [("E_MEDIA_URI", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-https-uri",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image(f"s3://{BUCKET}")), message("assistant", "A cat.")
        ),
        [("E_MEDIA_URI", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-bucket-only-uri",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image(f"s3://{BUCKET}/images/")),
            message("assistant", "A cat."),
        ),
        [("E_MEDIA_URI", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-prefix-uri",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image(f"s3://{BUCKET}/i/cat.bmp", "bmp")),
            message("assistant", "A cat."),
        ),
        [("E_MEDIA_FORMAT", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-bmp",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image(f"s3://{BUCKET}/i/cat.jpg", "png")),
            message("assistant", "A cat."),
        ),
        [("E_MEDIA_FORMAT", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-png-named-jpg",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image(f"s3://{BUCKET}/i/my cat.png")),
            message("assistant", "A cat."),
        ),
        [("E_MEDIA_NAME", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-space-in-name",
    ),
    pytest.param(
        NOVA,
        with_messages(
            message("user", "What?", image(f"s3://{BUCKET}/i/chat-été.png")),
            message("assistant", "A cat."),
        ),
        [("E_MEDIA_NAME", "$.messages[0].content[1].image.source.s3Location.uri")],
        id="nova-accent-in-name",
    ),
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _set(("image-ref",), "http://example.com/a.png")),
        [("E_MEDIA_URI", '$["image-ref"]')],
        id="image-http-ref",
    ),
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _set(("image-ref",), f"s3://{BUCKET}/a/b.gif")),
        [("E_MEDIA_FORMAT", '$["image-ref"]')],
        id="image-gif",
    ),
    # ---- content limits ----------------------------------------------------------------
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _set(("caption",), "ab")),
        [("E_CAPTION_LENGTH", "$.caption")],
        id="caption-too-short",
    ),
    pytest.param(
        TITAN_IMAGE,
        edit(TITAN_IMAGE, _set(("caption",), "x" * 1025)),
        [("E_CAPTION_LENGTH", "$.caption")],
        id="caption-too-long",
    ),
    # ---- wrong format ------------------------------------------------------------------
    pytest.param(
        NOVA,
        prompt_completion(BAD_INDEX),
        [("E_WRONG_FORMAT", "$")],
        id="nova-given-prompt-completion",
    ),
    pytest.param(
        TITAN, conversation(BAD_INDEX), [("E_WRONG_FORMAT", "$")], id="titan-given-conversation"
    ),
    pytest.param(
        CLAUDE, conversation(BAD_INDEX), [("E_WRONG_FORMAT", "$")], id="claude-given-conversation"
    ),
    pytest.param(
        NOVA,
        {"image-ref": f"s3://{BUCKET}/a.png", "caption": "A dog"},
        [("E_WRONG_FORMAT", "$")],
        id="nova-given-image-caption",
    ),
]


@pytest.mark.parametrize(("fmt", "bad", "expected"), CASES)
def test_invalid_record_reports_exactly_its_errors(
    fmt: Format, bad: Any, expected: list[tuple[str, str | None]], make_dataset: Callable[..., Path]
) -> None:
    # Given a valid minimum dataset whose third record is broken in one way
    record = bad() if callable(bad) else bad
    # When it is validated for the format's model
    report = run_with_bad(make_dataset, fmt, record)
    # Then exactly the expected errors are reported, on line 3, at the expected paths
    assert_only(report, expected)


# --------------------------------------------------------------------------- messages
def test_unknown_key_suggests_the_close_spelling(make_dataset: Callable[..., Path]) -> None:
    report = run_with_bad(
        make_dataset, NOVA, edit(NOVA, _rename_in_message("content", "contnet"))()
    )
    [example] = examples_of(report, "E_UNKNOWN_KEY")
    assert 'did you mean "content"' in example.message


def test_unknown_key_without_close_spelling_lists_allowed(
    make_dataset: Callable[..., Path],
) -> None:
    report = run_with_bad(make_dataset, TITAN, edit(TITAN, _set(("zzz",), 1))())
    [example] = examples_of(report, "E_UNKNOWN_KEY")
    assert "prompt" in example.message and "completion" in example.message


def test_wrong_type_names_expected_and_actual_types(make_dataset: Callable[..., Path]) -> None:
    report = run_with_bad(make_dataset, TITAN, edit(TITAN, _set(("completion",), 42))())
    [example] = examples_of(report, "E_WRONG_TYPE")
    assert "string" in example.message and "integer" in example.message


def test_wrong_format_message_names_the_format_it_looks_like(
    make_dataset: Callable[..., Path],
) -> None:
    # Given a prompt/completion record in a Nova dataset
    report = run_with_bad(make_dataset, NOVA, prompt_completion(BAD_INDEX))
    [example] = examples_of(report, "E_WRONG_FORMAT")
    # Then the message says what the record looks like and what the model expects
    assert "prompt/completion" in example.message
    assert "conversation" in example.message
    assert "Nova Lite" in example.message


def test_caption_length_message_shows_the_range(make_dataset: Callable[..., Path]) -> None:
    report = run_with_bad(make_dataset, TITAN_IMAGE, edit(TITAN_IMAGE, _set(("caption",), "ab"))())
    [example] = examples_of(report, "E_CAPTION_LENGTH")
    assert "1,024" in example.message or "1024" in example.message


@pytest.mark.parametrize("caption_len", [3, 1024])
def test_caption_at_the_bounds_is_accepted(
    caption_len: int, make_dataset: Callable[..., Path]
) -> None:
    bad = edit(TITAN_IMAGE, _set(("caption",), "c" * caption_len))()
    report = run_with_bad(make_dataset, TITAN_IMAGE, bad)
    assert report.summary.valid, error_codes(report)


# --------------------------------------------------------------------------- media bucket
def test_media_in_another_bucket_is_reported_when_the_bucket_is_known(
    make_dataset: Callable[..., Path],
) -> None:
    # Given an image in another bucket than the dataset's (given explicitly)
    bad = conversation(
        BAD_INDEX,
        messages=[
            message("user", "What?", image("s3://someone-elses-bucket/i/cat.png")),
            message("assistant", "A cat."),
        ],
    )
    path = make_dataset(NOVA, bad={BAD_INDEX: bad})
    report = validate(path, NOVA.model, media_bucket=BUCKET)
    # Then it is reported, naming both buckets; the records in BUCKET are fine
    assert_only(
        report, [("E_MEDIA_BUCKET", "$.messages[0].content[1].image.source.s3Location.uri")]
    )
    [example] = examples_of(report, "E_MEDIA_BUCKET")
    assert "someone-elses-bucket" in example.message and BUCKET in example.message
    # And without a known bucket (local file) nothing is said about buckets
    assert "E_MEDIA_BUCKET" not in error_codes(validate(path, NOVA.model))


def test_image_caption_ref_in_another_bucket(make_dataset: Callable[..., Path]) -> None:
    bad = {"image-ref": "s3://other/a/b.png", "caption": "A red bicycle"}
    path = make_dataset(TITAN_IMAGE, bad={BAD_INDEX: bad})
    report = validate(path, TITAN_IMAGE.model, media_bucket=BUCKET)
    assert_only(report, [("E_MEDIA_BUCKET", '$["image-ref"]')])


def test_images_and_videos_mixed_in_one_dataset(make_dataset: Callable[..., Path]) -> None:
    # Given a Nova Lite dataset with an image on line 2 and a video on line 5
    items: list[Any] = NOVA.records(8)
    items[1] = conversation(
        1, messages=[message("user", "What?", image()), message("assistant", "A cat.")]
    )
    items[4] = conversation(
        4, messages=[message("user", "What?", video()), message("assistant", "A dog.")]
    )
    items[6] = conversation(
        6,
        messages=[
            message("user", "And?", video(f"s3://{BUCKET}/v/x.mp4")),
            message("assistant", "A cow."),
        ],
    )
    path = make_dataset(NOVA, bad=dict(enumerate(items)))
    report = validate(path, NOVA.model)
    # Then one E_MEDIA_MIXED, reported at the first video, naming the first image's line
    assert error_codes(report) == {"E_MEDIA_MIXED": 1}
    [example] = examples_of(report, "E_MEDIA_MIXED")
    assert example.line == 5
    assert "2" in example.message


def test_nova2_accepts_all_its_block_kinds(make_dataset: Callable[..., Path]) -> None:
    # Given Nova 2 Lite records with image, document, reasoning, toolUse and toolResult
    path = make_dataset(NOVA2, 8)
    report = validate(path, NOVA_2_LITE)
    assert report.summary.valid, error_codes(report)
    # And a video-only dataset (one modality) is valid too
    video_only = make_dataset(Format("video", NOVA_2_LITE, nova2_video_record, 8))
    assert validate(video_only, NOVA_2_LITE).summary.valid


# --------------------------------------------------------------------------- reserved strings
@pytest.mark.parametrize("reserved", NOVA_RESERVED)
def test_each_nova_reserved_string_is_reported(
    reserved: str, make_dataset: Callable[..., Path]
) -> None:
    # Given a Nova user text containing a reserved string
    bad = conversation(
        BAD_INDEX,
        messages=[message("user", f"Transcript: {reserved} hello"), message("assistant", "Noted.")],
    )
    report = run_with_bad(make_dataset, NOVA, bad)
    # Then it is reported at the text that holds it
    assert_only(report, [("E_RESERVED_STRING", "$.messages[0].content[0].text")])
    assert reserved in examples_of(report, "E_RESERVED_STRING")[0].message


def test_reserved_string_in_system_text(make_dataset: Callable[..., Path]) -> None:
    bad = conversation(BAD_INDEX, system="System: you are a bot")
    report = run_with_bad(make_dataset, NOVA, bad)
    assert_only(report, [("E_RESERVED_STRING", "$.system[0].text")])


def test_reserved_string_in_assistant_text_of_nova2(make_dataset: Callable[..., Path]) -> None:
    bad = edit(NOVA2, _set(("messages", 3, "content", 0, "text"), "Bot: here you go"))()
    report = run_with_bad(make_dataset, NOVA2, bad)
    assert_only(report, [("E_RESERVED_STRING", "$.messages[3].content[0].text")])


@pytest.mark.parametrize("model", [LLAMA_32_1B, CLAUDE_HAIKU])
def test_reserved_strings_are_not_reported_for_other_models(
    model: str, make_dataset: Callable[..., Path]
) -> None:
    # Given the same texts for a non-Nova model
    if model == CLAUDE_HAIKU:
        bad: dict[str, Any] = {
            "system": "System: x",
            "messages": [
                {"role": "user", "content": "User: hi <image> [EOS]"},
                {"role": "assistant", "content": "Bot: Assistant: <video>"},
            ],
        }
        fmt = CLAUDE
    else:
        bad = conversation(
            BAD_INDEX,
            system="System: x",
            messages=[
                message("user", "User: hi <image> [EOS]"),
                message("assistant", "Bot: Assistant: <video>"),
            ],
        )
        fmt = LLAMA32
    report = run_with_bad(make_dataset, fmt, bad)
    # Then they are fine
    assert report.summary.valid, error_codes(report)


def test_many_reserved_strings_in_one_chunk_keep_their_lines(
    make_dataset: Callable[..., Path],
) -> None:
    # Given more than a handful of reserved strings in one read chunk, two per record
    items: list[Any] = NOVA.records(30)
    hit_lines = list(range(2, 31, 3))
    for line in hit_lines:
        items[line - 1] = conversation(
            line, messages=[message("user", f"<image> {line}"), message("assistant", "ok [EOS]")]
        )
    report = validate(
        make_dataset(NOVA, 30, bad=dict(enumerate(items))), NOVA.model, max_examples=100
    )
    # Then each string is reported once on its own line and at its own text
    found = sorted((e.line, e.path) for e in examples_of(report, "E_RESERVED_STRING"))
    want = sorted(
        (line, path)
        for line in hit_lines
        for path in ("$.messages[0].content[0].text", "$.messages[1].content[0].text")
    )
    assert found == want


def test_llama_vision_images_count_toward_the_token_limit(
    make_dataset: Callable[..., Path],
) -> None:
    # Each image costs at least one 560-px tile of 1,601 tokens: 10 images exceed 16,000
    ten = conversation(
        BAD_INDEX,
        messages=[
            message("user", "Compare:", *[image(f"s3://{BUCKET}/i/{k}.png") for k in range(10)]),
            message("assistant", "Same."),
        ],
    )
    nine = conversation(
        BAD_INDEX,
        messages=[
            message("user", "Compare:", *[image(f"s3://{BUCKET}/i/{k}.png") for k in range(9)]),
            message("assistant", "Same."),
        ],
    )
    assert_only(run_with_bad(make_dataset, LLAMA32_11B, ten), [("E_TOKENS_OVER_LIMIT", None)])
    assert run_with_bad(make_dataset, LLAMA32_11B, nine).summary.valid


def test_reserved_strings_on_several_lines_are_each_reported(
    make_dataset: Callable[..., Path],
) -> None:
    items: list[Any] = NOVA.records(12)
    for index in (0, 5, 11):
        items[index] = conversation(
            index, messages=[message("user", f"[EOS] {index}"), message("assistant", "ok")]
        )
    report = validate(make_dataset(NOVA, 12, bad=dict(enumerate(items))), NOVA.model)
    assert error_codes(report) == {"E_RESERVED_STRING": 3}
    assert lines_of(report, "E_RESERVED_STRING") == [1, 6, 12]


def test_json_escaped_reserved_string_is_reported(make_file: Callable[..., Path]) -> None:
    # Given a record whose text decodes to "<image>" but is written with \u escapes
    escaped = (
        '{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": '
        '[{"text": "look: \\u003cimage\\u003e"}]}, {"role": "assistant", "content": [{"text": "ok"}]}]}'
    )
    items: list[Any] = [*NOVA.records(8), escaped]
    report = validate(make_file(items), NOVA.model)
    # Then the decoded text's reserved string is reported like an unescaped one
    assert lines_of(report, "E_RESERVED_STRING") == [9]


# --------------------------------------------------------------------------- token limits
def _titan_record(words: int, i: int = 0) -> dict[str, Any]:
    # " apple" is one cl100k token; the prompt and completion each hold half the words
    half = words // 2
    return {
        "prompt": f"Q{i}:" + " apple" * half,
        "completion": f"A{i}:" + " apple" * (words - half),
    }


def test_titan_lite_token_limit_depends_on_batch_size(make_file: Callable[..., Path]) -> None:
    # Given a ~3,000-token record between short ones
    records = [prompt_completion(0), _titan_record(3000), prompt_completion(2)]
    path = make_file(records)
    # When validated at batch size 1 (limit 4,096)
    at_one = validate(path, TITAN_LITE, hyperparameters={"batchSize": "1"})
    # Then it passes
    assert at_one.summary.valid, error_codes(at_one)
    assert at_one.model.token_limit == 4096
    # When validated at batch size 4 (limit 2,048)
    at_four = validate(path, TITAN_LITE, hyperparameters={"batchSize": "4"})
    # Then exactly that record is over the limit, and the message shows count and limit
    assert at_four.model.token_limit == 2048
    assert error_codes(at_four) == {"E_TOKENS_OVER_LIMIT": 1}
    [example] = examples_of(at_four, "E_TOKENS_OVER_LIMIT")
    assert example.line == 2
    assert "2,048" in example.message and "batch size 4" in example.message
    count = int(example.message.split(" tokens")[0].replace(",", ""))
    assert 2900 <= count <= 3100


def test_titan_lite_default_batch_size_gives_the_batch_one_limit(
    make_file: Callable[..., Path],
) -> None:
    report = validate(make_file([_titan_record(3000)]), TITAN_LITE)
    assert report.model.batch_size == 1
    assert report.summary.valid, error_codes(report)


def test_titan_lite_record_just_under_2048_passes_at_batch_four(
    make_file: Callable[..., Path],
) -> None:
    report = validate(
        make_file([_titan_record(1900)]), TITAN_LITE, hyperparameters={"batchSize": "4"}
    )
    assert report.summary.valid, error_codes(report)


def test_titan_lite_record_over_4096_fails_at_batch_one(make_file: Callable[..., Path]) -> None:
    report = validate(make_file([prompt_completion(1), _titan_record(5000)]), TITAN_LITE)
    assert error_codes(report) == {"E_TOKENS_OVER_LIMIT": 1}
    assert lines_of(report, "E_TOKENS_OVER_LIMIT") == [2]


def test_cohere_prompt_and_completion_limits_are_separate(make_file: Callable[..., Path]) -> None:
    # Given a prompt over 4,096 tokens (line 2) and a completion over 2,048 (line 3), and a
    # record whose total is over both limits but whose parts are within them (line 4)
    records = [
        prompt_completion(0),
        {"prompt": "P:" + " apple" * 4500, "completion": "short answer"},
        {"prompt": "short question", "completion": "C:" + " apple" * 2500},
        {"prompt": "P:" + " apple" * 4000, "completion": "C:" + " apple" * 2000},
    ]
    report = validate(make_file(records), COHERE.model)
    assert error_codes(report) == {"E_INPUT_TOKENS_OVER_LIMIT": 1, "E_OUTPUT_TOKENS_OVER_LIMIT": 1}
    assert [(e.line, e.path) for e in examples_of(report, "E_INPUT_TOKENS_OVER_LIMIT")] == [
        (2, "$.prompt")
    ]
    assert [(e.line, e.path) for e in examples_of(report, "E_OUTPUT_TOKENS_OVER_LIMIT")] == [
        (3, "$.completion")
    ]


def test_nova_record_over_32k_tokens(make_dataset: Callable[..., Path]) -> None:
    bad = conversation(
        BAD_INDEX,
        messages=[
            message("user", "Summarise:" + " apple" * 33000),
            message("assistant", "Apples."),
        ],
    )
    report = run_with_bad(make_dataset, NOVA, bad)
    assert_only(report, [("E_TOKENS_OVER_LIMIT", None)])


# --------------------------------------------------------------------------- path accuracy
def test_two_empty_text_blocks_are_reported_at_their_own_paths(
    make_dataset: Callable[..., Path],
) -> None:
    # Given one user message with two whitespace-only text blocks around a real one
    bad = conversation(
        BAD_INDEX, messages=[message("user", " ", "Hello", " "), message("assistant", "Hi")]
    )
    report = run_with_bad(make_dataset, NOVA_MICRO_FMT, bad)
    # Then each is reported at its own index
    paths = sorted(e.path for e in examples_of(report, "E_EMPTY_TEXT"))
    assert paths == ["$.messages[0].content[0].text", "$.messages[0].content[2].text"]


def test_several_problems_in_one_record_are_all_reported(make_dataset: Callable[..., Path]) -> None:
    # Given a record with an empty text, two users in a row and a last user message
    bad = conversation(
        BAD_INDEX,
        messages=[
            message("user", ""),
            message("user", "Hi"),
            message("assistant", "Yo"),
            message("user", "Bye"),
        ],
    )
    report = run_with_bad(make_dataset, NOVA, bad)
    assert_only(
        report,
        [
            ("E_EMPTY_TEXT", "$.messages[0].content[0].text"),
            ("E_ROLE_ORDER", "$.messages[1].role"),
            ("E_ROLE_LAST", "$.messages[3].role"),
        ],
    )


def test_reasoning_and_tool_flow_of_nova2_is_valid_for_nova2_only(
    make_dataset: Callable[..., Path],
) -> None:
    # The Nova 2 record with image/document/tools is rejected by Nova Lite (no documents,
    # no tools, no reasoning), once per unsupported block kind
    bad = FORMATS["nova2_multimodal"].record(BAD_INDEX)
    report = run_with_bad(make_dataset, NOVA, bad)
    unsupported = sorted(
        e.path.rsplit(".", 1)[-1] for e in examples_of(report, "E_BLOCK_UNSUPPORTED")
    )
    assert unsupported == ["document", "reasoningContent", "toolResult", "toolUse"]
    assert lines_of(report, "E_BLOCK_UNSUPPORTED") == [BAD_LINE] * 4


def test_nova_micro_text_only_record_with_system_valid(make_dataset: Callable[..., Path]) -> None:
    report = validate(make_dataset(NOVA_MICRO_FMT, 8), NOVA_MICRO)
    assert report.summary.valid
    assert report.model.format == "conversation"
