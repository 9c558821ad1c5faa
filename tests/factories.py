"""Record factories for every dataset format the validator knows, plus small file helpers.

The records follow the examples of the AWS documentation (model-customization-prepare.html,
the Nova data-preparation pages, distillation-data-prep-option-1.html, rft-prepare-data.html).
Every factory returns a fresh ``dict`` so a test can break one field without touching the
others; ``i`` makes records distinct (so no duplicate warnings creep into tests that do not ask
for them).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bedrock_tuner.datasets.report import Report

# --------------------------------------------------------------------------- model ids
NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
NOVA_LITE = "amazon.nova-lite-v1:0:300k"
NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"
LLAMA_32_1B = "meta.llama3-2-1b-instruct-v1:0:128k"
LLAMA_32_11B = "meta.llama3-2-11b-instruct-v1:0:128k"
LLAMA_31_8B = "meta.llama3-1-8b-instruct-v1:0:128k"
CLAUDE_HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"
TITAN_LITE = "amazon.titan-text-lite-v1:0:4k"
TITAN_EXPRESS = "amazon.titan-text-express-v1:0:8k"
COHERE = "cohere.command-text-v14:7:4k"
TITAN_IMAGE = "amazon.titan-image-generator-v2:0"
GPT_OSS = "openai.gpt-oss-20b"

SCHEMA = "bedrock-conversation-2024"
BUCKET = "training-bucket"
NOVA_RESERVED = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")

_TOPICS = (
    "the capital of France",
    "how photosynthesis works",
    "the boiling point of water",
    "why the sky is blue",
    "how to reset a password",
    "the length of a marathon",
    "what a prime number is",
    "how tides form",
)


def question(i: int) -> str:
    return f"Question {i}: can you explain {_TOPICS[i % len(_TOPICS)]} briefly?"


def answer(i: int) -> str:
    return f"Answer {i}: here is a short explanation of {_TOPICS[i % len(_TOPICS)]}."


# --------------------------------------------------------------------------- blocks
def text(value: str) -> dict[str, Any]:
    return {"text": value}


def s3_source(uri: str, owner: str | None = "111122223333") -> dict[str, Any]:
    loc: dict[str, Any] = {"uri": uri}
    if owner is not None:
        loc["bucketOwner"] = owner
    return {"s3Location": loc}


def image(uri: str = f"s3://{BUCKET}/images/cat-01.png", fmt: str = "png") -> dict[str, Any]:
    return {"image": {"format": fmt, "source": s3_source(uri)}}


def video(uri: str = f"s3://{BUCKET}/videos/clip-01.mp4", fmt: str = "mp4") -> dict[str, Any]:
    return {"video": {"format": fmt, "source": s3_source(uri)}}


def document(uri: str = f"s3://{BUCKET}/docs/manual-01.pdf", fmt: str = "pdf") -> dict[str, Any]:
    return {"document": {"format": fmt, "name": "manual", "source": s3_source(uri)}}


def reasoning(value: str = "The user wants the weather; I should call the tool.") -> dict[str, Any]:
    return {"reasoningContent": {"reasoningText": {"text": value}}}


def tool_use(tool_id: str = "tooluse_1", name: str = "get_weather") -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_id, "name": name, "input": {"city": "Paris"}}}


def tool_result(tool_id: str = "tooluse_1", value: str = "18 degrees, sunny") -> dict[str, Any]:
    return {"toolResult": {"toolUseId": tool_id, "content": [{"text": value}], "status": "success"}}


def tool_config(*names: str) -> dict[str, Any]:
    return {
        "tools": [
            {
                "toolSpec": {
                    "name": name,
                    "description": f"{name} tool",
                    "inputSchema": {
                        "json": {"type": "object", "properties": {"city": {"type": "string"}}}
                    },
                }
            }
            for name in (names or ("get_weather",))
        ]
    }


def message(role: str, *blocks: dict[str, Any] | str) -> dict[str, Any]:
    return {"role": role, "content": [text(b) if isinstance(b, str) else b for b in blocks]}


# --------------------------------------------------------------------------- records
def conversation(
    i: int = 0,
    *,
    messages: list[dict[str, Any]] | None = None,
    system: str | None = "You are a concise and friendly assistant.",
    schema_version: str | None = SCHEMA,
    **extra: Any,
) -> dict[str, Any]:
    """A bedrock-conversation-2024 record (Nova, Llama 3.2/3.3)."""
    rec: dict[str, Any] = {}
    if schema_version is not None:
        rec["schemaVersion"] = schema_version
    if system is not None:
        rec["system"] = [text(system)]
    rec["messages"] = (
        messages
        if messages is not None
        else [message("user", question(i)), message("assistant", answer(i))]
    )
    rec.update(extra)
    return rec


def nova_record(i: int = 0) -> dict[str, Any]:
    return conversation(i)


def llama32_record(i: int = 0) -> dict[str, Any]:
    return conversation(i)


def nova2_multimodal_record(i: int = 0) -> dict[str, Any]:
    """Nova 2 Lite: image + document in the user turn, reasoning and tool use by the model."""
    return conversation(
        i,
        messages=[
            message(
                "user",
                question(i),
                image(f"s3://{BUCKET}/images/photo-{i}.jpeg", "jpeg"),
                document(f"s3://{BUCKET}/docs/manual-{i}.pdf"),
            ),
            message("assistant", reasoning(), tool_use(f"tooluse_{i}")),
            message("user", tool_result(f"tooluse_{i}")),
            message("assistant", answer(i)),
        ],
        toolConfig=tool_config("get_weather"),
    )


def nova2_video_record(i: int = 0) -> dict[str, Any]:
    return conversation(
        i,
        messages=[
            message("user", question(i), video(f"s3://{BUCKET}/videos/clip-{i}.mp4")),
            message("assistant", answer(i)),
        ],
    )


def claude_record(i: int = 0) -> dict[str, Any]:
    return {
        "system": "You are a helpful assistant.",
        "messages": [
            {"role": "user", "content": question(i)},
            {"role": "assistant", "content": answer(i)},
        ],
    }


def prompt_completion(i: int = 0) -> dict[str, Any]:
    return {"prompt": question(i), "completion": answer(i)}


def cpt_record(i: int = 0) -> dict[str, Any]:
    return {"input": f"Document {i}. {answer(i)} More plain text for continued pre-training."}


def image_caption(i: int = 0) -> dict[str, Any]:
    return {
        "image-ref": f"s3://{BUCKET}/images/product-{i}.png",
        "caption": f"A product photo number {i} on a white background",
    }


def distillation_prompt(i: int = 0) -> dict[str, Any]:
    """Distillation prompt for an Anthropic student: one user message, no answer."""
    return conversation(i, messages=[message("user", question(i))])


def rft_record(i: int = 0) -> dict[str, Any]:
    return {
        "id": f"sample-{i}",
        "messages": [
            {"role": "system", "content": "Solve the problem and give the final number."},
            {"role": "user", "content": f"What is {i} + {i + 1}?"},
        ],
        "reference_answer": {"value": 2 * i + 1},
    }


# --------------------------------------------------------------------------- formats
@dataclass(frozen=True)
class Format:
    """One dataset format with a model taking it and the least records that model needs."""

    name: str
    model: str
    record: Callable[[int], dict[str, Any]]
    min_records: int
    ctype: str | None = None

    def records(self, n: int | None = None, start: int = 0) -> list[dict[str, Any]]:
        count = self.min_records if n is None else n
        return [self.record(i) for i in range(start, start + count)]

    def kwargs(self) -> dict[str, Any]:
        return {"customization_type": self.ctype} if self.ctype else {}


FORMATS: dict[str, Format] = {
    "nova": Format("nova", NOVA_LITE, nova_record, 8),
    "nova_micro": Format("nova_micro", NOVA_MICRO, nova_record, 8),
    "llama32": Format("llama32", LLAMA_32_1B, llama32_record, 100),
    "nova2_multimodal": Format("nova2_multimodal", NOVA_2_LITE, nova2_multimodal_record, 8),
    "claude": Format("claude", CLAUDE_HAIKU, claude_record, 32),
    "titan": Format("titan", TITAN_LITE, prompt_completion, 1),
    "cohere": Format("cohere", COHERE, prompt_completion, 1),
    "cpt": Format("cpt", TITAN_EXPRESS, cpt_record, 1, "CONTINUED_PRE_TRAINING"),
    "titan_image": Format("titan_image", TITAN_IMAGE, image_caption, 5),
    "distillation": Format("distillation", CLAUDE_HAIKU, distillation_prompt, 1, "DISTILLATION"),
    "rft": Format("rft", GPT_OSS, rft_record, 1, "REINFORCEMENT_FINE_TUNING"),
}


# --------------------------------------------------------------------------- files
Line = Mapping[str, Any] | list[Any] | str | bytes


def encode_line(item: Line) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode()
    return json.dumps(item, ensure_ascii=False).encode()


def jsonl_bytes(items: Iterable[Line], *, newline: bytes = b"\n", trailing: bool = True) -> bytes:
    body = newline.join(encode_line(item) for item in items)
    return body + newline if trailing and body else body


def write_jsonl(
    tmp_path: Path,
    records_or_lines: Iterable[Line],
    *,
    name: str = "train.jsonl",
    newline: bytes = b"\n",
    trailing: bool = True,
    prefix: bytes = b"",
) -> Path:
    """Write records (dicts, JSON-encoded) or raw lines (str/bytes, verbatim) as JSONL."""
    path = tmp_path / name
    path.write_bytes(prefix + jsonl_bytes(records_or_lines, newline=newline, trailing=trailing))
    return path


def replaced(records: list[dict[str, Any]], index: int, record: Line) -> list[Line]:
    """A copy of ``records`` with ``records[index]`` replaced (0-based index)."""
    out: list[Line] = [copy.deepcopy(r) for r in records]
    out[index] = record
    return out


# --------------------------------------------------------------------------- reports
def codes(report: Report) -> dict[str, int]:
    """Every problem code of the report with its count."""
    return {p.code: p.count for p in report.problems}


def error_codes(report: Report) -> dict[str, int]:
    return {p.code: p.count for p in report.problems if p.severity == "error"}


def warning_codes(report: Report) -> dict[str, int]:
    return {p.code: p.count for p in report.problems if p.severity == "warning"}


def problem(report: Report, code: str) -> Any:
    for p in report.problems:
        if p.code == code:
            return p
    raise AssertionError(f"{code} not in report: {codes(report)}")


def examples_of(report: Report, code: str) -> list[Any]:
    return list(problem(report, code).examples)


def lines_of(report: Report, code: str) -> list[int | None]:
    """The line numbers of the examples kept for ``code`` (empty if the code is absent)."""
    for p in report.problems:
        if p.code == code:
            return [e.line for e in p.examples]
    return []


def error_lines(report: Report) -> set[int]:
    return {
        e.line
        for p in report.problems
        if p.severity == "error"
        for e in p.examples
        if e.line is not None
    }


def validate(path: Path | str, model: str, **kw: Any) -> Report:
    """Validate ``path`` for ``model``; keyword arguments go to ``validate_dataset``."""
    from bedrock_tuner.datasets.validate import validate_dataset

    return validate_dataset(str(path), model_id=model, **kw)


def limits_override(model_id: str, ctype: str = "FINE_TUNING", **limits: Any) -> dict[str, Any]:
    """A catalog override entry that changes some limits of one model and type."""
    return {"id": model_id, "customization": {ctype: {"limits": limits}}}
