"""Record schemas as msgspec structs: the fast path of the validator.

A line that decodes into its format's struct is structurally right (keys, types, no
unknown keys); the semantic checks then run on the struct. A line that does not decode
takes the slow path (``structure.py``), which explains every structural problem.

Field names follow the JSON exactly (camelCase where Bedrock uses it).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field


class S3Location(Struct, forbid_unknown_fields=True, gc=False):
    uri: str
    bucketOwner: str | None = None


class MediaSource(Struct, forbid_unknown_fields=True, gc=False):
    s3Location: S3Location


class ImageBlock(Struct, forbid_unknown_fields=True, gc=False):
    format: str
    source: MediaSource


class VideoBlock(Struct, forbid_unknown_fields=True, gc=False):
    format: str
    source: MediaSource


class DocumentBlock(Struct, forbid_unknown_fields=True, gc=False):
    format: str
    source: MediaSource
    name: str | None = None


class ReasoningText(Struct, forbid_unknown_fields=True, gc=False):
    text: str
    signature: str | None = None


class ReasoningContent(Struct, forbid_unknown_fields=True, gc=False):
    reasoningText: ReasoningText


class ToolUse(Struct, forbid_unknown_fields=True, gc=False):
    toolUseId: str
    name: str
    input: Any


class ToolResult(Struct, forbid_unknown_fields=True, gc=False):
    toolUseId: str
    content: list[Any]
    status: str | None = None


class ContentBlock(Struct, forbid_unknown_fields=True, gc=False):
    """One block; exactly one field must be set (checked semantically)."""

    text: str | None = None
    image: ImageBlock | None = None
    video: VideoBlock | None = None
    document: DocumentBlock | None = None
    reasoningContent: ReasoningContent | None = None
    toolUse: ToolUse | None = None
    toolResult: ToolResult | None = None


class Message(Struct, forbid_unknown_fields=True, gc=False):
    role: str
    content: list[ContentBlock]


class SystemBlock(Struct, forbid_unknown_fields=True, gc=False):
    text: str


class ToolSpecHolder(Struct, gc=False):
    toolSpec: dict[str, Any]


class ToolConfig(Struct, gc=False):
    tools: list[ToolSpecHolder]
    toolChoice: Any = None


class Conversation(Struct, forbid_unknown_fields=True, gc=False):
    """``bedrock-conversation-2024``: Nova, Llama 3.2/3.3, distillation prompts."""

    messages: list[Message]
    schemaVersion: str | None = None
    system: list[SystemBlock] | None = None
    toolConfig: ToolConfig | None = None


class PromptCompletion(Struct, forbid_unknown_fields=True, gc=False):
    prompt: str
    completion: str


class ContinuedPreTraining(Struct, forbid_unknown_fields=True, gc=False):
    input: str


class ImageCaption(Struct, forbid_unknown_fields=True, gc=False):
    image_ref: str = field(name="image-ref")
    caption: str


class ClaudeMessage(Struct, forbid_unknown_fields=True, gc=False):
    role: str
    content: str


class ClaudeRecord(Struct, forbid_unknown_fields=True, gc=False):
    messages: list[ClaudeMessage]
    system: str | None = None


class RftMessage(Struct, forbid_unknown_fields=True, gc=False):
    role: str
    content: str


class RftRecord(Struct, gc=False):
    """Reinforcement fine-tuning: extra keys are allowed (the grader Lambda reads them)."""

    messages: list[RftMessage]
    reference_answer: Any = None  # required: missing and null are both reported
    id: str | int | None = None
    tools: list[Any] | None = None


class TextBlock(Struct, forbid_unknown_fields=True, gc=False):
    """A content block of a text-only model (any other kind fails the fast path)."""

    text: str


class TextMessage(Struct, forbid_unknown_fields=True, gc=False):
    role: str
    content: list[TextBlock]


class TextConversation(Struct, forbid_unknown_fields=True, gc=False):
    """``bedrock-conversation-2024`` restricted to text blocks (Nova Micro, text models)."""

    messages: list[TextMessage]
    schemaVersion: str | None = None
    system: list[SystemBlock] | None = None


BLOCK_KINDS = frozenset(
    {"text", "image", "video", "document", "reasoningContent", "toolUse", "toolResult"}
)
