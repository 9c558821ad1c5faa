"""Semantic checks per record format, on decoded structs.

Each checker's ``check`` runs once per record in the hot loop, so it is written for speed:
local variables, no allocations beyond a text list, token estimates from the fast
estimator (the scan switches to an exact count when a record nears its limit).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

from bedrock_tuner.catalog.types import (
    BaseModel,
    CustomizationType,
    Limits,
    RecordFormat,
    TypeSupport,
)
from bedrock_tuner.datasets import schemas as s
from bedrock_tuner.datasets.scan import FileScan
from bedrock_tuner.datasets.tokens import estimate_tokens, exact_tokens

CONVERSATION_SCHEMA = "bedrock-conversation-2024"
MESSAGE_OVERHEAD_TOKENS = 4  # role markers a chat template adds per message (estimate)
EXACT_MARGIN = 0.7  # estimates above this share of the limit are counted exactly (p99.9 of estimate/exact is 0.73)
LLAMA_IMAGE_MIN_TOKENS = 1601  # one 560 px tile; sizes are unknown without reading the image
_NOVA_NAME = re.compile(r"[A-Za-z0-9_\-/.]+")
_EXT_ALIASES = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "mp4": "mp4",
    "mov": "mov",
    "mkv": "mkv",
    "webm": "webm",
    "pdf": "pdf",
}
_MEDIA_KINDS = ("image", "video", "document")
_TEXT_CONVERSATION = s.TextConversation


class CheckContext(msgspec.Struct, kw_only=True):
    """Everything a checker needs to know about the target, fixed for a validation run."""

    model: BaseModel
    support: TypeSupport
    fmt: RecordFormat
    token_limit: int | None
    batch_size: int | None
    dataset_bucket: str | None = None


class Checker:
    """Base: the per-format hooks the scan calls.

    ``structs`` are the schemas the scan may decode records into, narrowest first; the
    last one, ``struct``, is the full format and drives the slow path's explanations.
    """

    struct: type[Any]
    fmt: RecordFormat

    def __init__(self, ctx: CheckContext) -> None:
        self.structs: tuple[type[Any], ...] = (self.struct,)
        self.ctx = ctx
        self.fmt = ctx.fmt
        self.limits: Limits = ctx.support.limits
        self.token_limit = ctx.token_limit
        self.exact_threshold = int(ctx.token_limit * EXACT_MARGIN) if ctx.token_limit else 1 << 62
        self.model_label = f"{ctx.model.name} ({ctx.model.id})"

    def other_type_hint(self, kind: CustomizationType) -> str:
        """When data looks like another customization type's: say which, and how to ask
        for it ("" when ``kind`` is the type being validated)."""
        model = self.ctx.model
        if model.customization.get(kind) == self.ctx.support:
            return ""
        if kind in model.customization:
            return (
                f"; that is {kind.value} data: {model.name} takes it as customization type "
                f"{kind.value} (--type {kind.value})"
            )
        return (
            f"; that is {kind.value} data, which {model.name} does not take "
            f"(`bedrock-tuner catalog --type {kind.value}` lists the models that do)"
        )

    def token_limit_message(self, tokens: int) -> str:
        batch = f" at batch size {self.ctx.batch_size}" if self.ctx.batch_size else ""
        return f"{tokens:,} tokens; {self.ctx.model.name} allows {self.token_limit:,}{batch}"

    def check(self, rec: Any, line: int, scan: FileScan) -> None:
        raise NotImplementedError

    def texts(self, rec: Any) -> list[str]:
        raise NotImplementedError

    def exact_tokens(self, rec: Any) -> int:
        return sum(exact_tokens(t) for t in self.texts(rec))

    def locate(self, rec: Any, needle: str) -> str | None:
        """JSON path of the first text in ``rec`` that contains ``needle``."""
        for path, text in self.text_paths(rec):
            if needle in text:
                return path
        return None

    def text_paths(self, rec: Any) -> list[tuple[str, str]]:
        raise NotImplementedError

    # -- shared helpers ---------------------------------------------------------------
    def check_media_uri(
        self, uri: str, kind: str, declared: str | None, line: int, path: str, scan: FileScan
    ) -> None:
        media = self.limits.media
        if not uri.startswith("s3://") or "/" not in uri[5:] or uri.endswith("/"):
            scan.err("E_MEDIA_URI", line, path, f'"{uri[:120]}" is not s3://bucket/key')
            return
        bucket, _, key = uri[5:].partition("/")
        if self.ctx.dataset_bucket and bucket != self.ctx.dataset_bucket:
            scan.err(
                "E_MEDIA_BUCKET",
                line,
                path,
                f'bucket "{bucket}" is not the dataset\'s bucket "{self.ctx.dataset_bucket}"',
            )
        allowed = {
            "image": media.image_formats,
            "video": media.video_formats,
            "document": media.document_formats,
        }[kind]
        ext = key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else ""
        norm = _EXT_ALIASES.get(ext, ext)
        allowed_norm = {_EXT_ALIASES.get(a, a) for a in allowed}
        if allowed and norm not in allowed_norm:
            scan.err(
                "E_MEDIA_FORMAT",
                line,
                path,
                f'".{ext or "(none)"}" is not one of {", ".join(sorted(allowed))}',
            )
        elif (
            declared is not None
            and norm
            and _EXT_ALIASES.get(declared.lower(), declared.lower()) != norm
        ):
            scan.err(
                "E_MEDIA_FORMAT",
                line,
                path,
                f'format "{declared}" does not match the file extension ".{ext}"',
            )
        if media.nova_file_names and not _NOVA_NAME.fullmatch(key):
            scan.err(
                "E_MEDIA_NAME",
                line,
                path,
                f'"{key[:120]}" has characters other than letters, digits, _ - / .',
            )


def _empty(text: str) -> bool:
    return not text or text.isspace()


class ConversationChecker(Checker):
    """bedrock-conversation-2024 (fine-tuning) and distillation prompts."""

    struct = s.Conversation

    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        lim = self.limits
        self.distillation = ctx.fmt is RecordFormat.DISTILLATION
        self.strict_version = not ctx.model.id.startswith("amazon.nova")
        self.blocks = frozenset(lim.content_blocks)
        self.text_only = self.blocks == frozenset({"text"})
        self.structs = (
            (s.TextConversation,) if self.text_only else (s.TextConversation, s.Conversation)
        )
        self.max_images = lim.media.images_per_record_max
        self.max_videos = lim.media.videos_per_record_max
        self.image_tokens = LLAMA_IMAGE_MIN_TOKENS if lim.media.image_tokens == "llama_tiles" else 0
        self.multi_turn = lim.multi_turn
        self.system_ok = lim.system_prompt

    def check(self, rec: Any, line: int, scan: FileScan) -> None:
        texts: list[str] = []  # every text, in order: tokens and duplicate keys
        version = rec.schemaVersion
        if version is None or (self.strict_version and version != CONVERSATION_SCHEMA):
            self._version_error(version, line, scan)
        system = rec.system
        if system:
            self._system(system, line, scan, texts)
        msgs = rec.messages
        if not msgs:
            scan.err("E_NO_MESSAGES", line, "$.messages", "messages is empty")
            return
        extra_tokens = 0
        ids: list[str] = []  # media URIs: part of a record's identity, not of its tokens
        prev = ""
        last_start = 0
        if type(rec) is _TEXT_CONVERSATION:
            # The hot loop: text blocks only (the common case); errors are located lazily.
            append = texts.append
            i = 0
            for msg in msgs:
                role = msg.role
                if role == prev or (role != "user" and role != "assistant"):
                    self._role_error(role, i, line, scan)
                prev = role
                content = msg.content
                last_start = len(texts)
                if not content:
                    self._empty_content(i, line, scan)
                for block in content:
                    t = block.text
                    if not t or t.isspace():
                        self._empty_text(i, [b is block for b in content].index(True), line, scan)
                    append(t)
                i += 1
        else:
            assert isinstance(rec, s.Conversation)
            for i, msg in enumerate(rec.messages):
                role = msg.role
                if role == prev or (role != "user" and role != "assistant"):
                    self._role_error(role, i, line, scan)
                prev = role
                last_start = len(texts)
                if not msg.content:
                    scan.err(
                        "E_EMPTY_CONTENT", line, f"$.messages[{i}].content", "content is empty"
                    )
                for j, block in enumerate(msg.content):
                    extra_tokens += self._block(block, role, i, j, line, scan, texts, ids)
            self._record_level(rec, line, scan)
        n = len(msgs)
        if (
            msgs[0].role != "user"
            or (prev != "assistant" and not self.distillation)
            or (n > 2 and not self.multi_turn)
        ):
            self._turn_errors(msgs, line, scan)
        tokens = estimate_tokens("".join(texts)) + extra_tokens + MESSAGE_OVERHEAD_TOKENS * n
        if prev == "assistant":
            if last_start == len(texts) - 1:  # one answer text: the common case
                answer = hash(texts.pop())
                key = hash(tuple(texts))
            else:
                key = hash(tuple(texts[:last_start]))
                answer = hash(tuple(texts[last_start:]))
        else:
            key = hash(tuple(texts))
            answer = 0
        if ids:
            key = hash((key, *ids))
        scan.finish_record(line, tokens, key, answer, rec)

    @staticmethod
    def _version_error(version: str | None, line: int, scan: FileScan) -> None:
        if version is None:
            scan.err(
                "E_MISSING_KEY",
                line,
                "$.schemaVersion",
                f'missing "schemaVersion" (use "{CONVERSATION_SCHEMA}")',
            )
        else:
            scan.err(
                "E_SCHEMA_VERSION",
                line,
                "$.schemaVersion",
                f'"{version[:60]}" is not "{CONVERSATION_SCHEMA}"',
            )

    def _system(
        self, system: list[s.SystemBlock], line: int, scan: FileScan, texts: list[str]
    ) -> None:
        if not self.system_ok:
            scan.err(
                "E_UNKNOWN_KEY", line, "$.system", f"{self.ctx.model.name} takes no system prompt"
            )
        for i, block in enumerate(system):
            t = block.text
            if _empty(t):
                scan.err("E_EMPTY_TEXT", line, f"$.system[{i}].text", "empty system text")
            texts.append(t)

    @staticmethod
    def _empty_content(i: int, line: int, scan: FileScan) -> None:
        scan.err("E_EMPTY_CONTENT", line, f"$.messages[{i}].content", "content is empty")

    @staticmethod
    def _empty_text(i: int, j: int, line: int, scan: FileScan) -> None:
        scan.err("E_EMPTY_TEXT", line, f"$.messages[{i}].content[{j}].text", "empty text")

    @staticmethod
    def _role_error(role: str, i: int, line: int, scan: FileScan) -> None:
        if role != "user" and role != "assistant":
            scan.err("E_ROLE_INVALID", line, f"$.messages[{i}].role", f'role "{role[:40]}"')
        else:
            scan.err(
                "E_ROLE_ORDER", line, f"$.messages[{i}].role", f'two "{role}" messages in a row'
            )

    def _turn_errors(
        self, msgs: list[s.Message] | list[s.TextMessage], line: int, scan: FileScan
    ) -> None:
        n = len(msgs)
        first, last = msgs[0].role, msgs[-1].role
        if first != "user":
            scan.err("E_ROLE_FIRST", line, "$.messages[0].role", f'first message is "{first[:40]}"')
        if not self.distillation and last != "assistant":
            hint = ""
            if all(msg.role != "assistant" for msg in msgs):  # prompts only
                hint = self.other_type_hint(CustomizationType.DISTILLATION)
            scan.err(
                "E_ROLE_LAST",
                line,
                f"$.messages[{n - 1}].role",
                f'last message is "{last[:40]}"{hint}',
            )
        if not self.multi_turn and (n > 2 or (n == 2 and msgs[1].role != "assistant")):
            scan.err(
                "E_TOO_MANY_TURNS",
                line,
                "$.messages",
                f"{n} messages; {self.ctx.model.name} takes one user message (and optionally its answer)",
            )

    def _block(
        self,
        block: s.ContentBlock,
        role: str,
        i: int,
        j: int,
        line: int,
        scan: FileScan,
        texts: list[str],
        ids: list[str],
    ) -> int:
        """Check a block of the general schema; texts go to ``texts``, media URIs to ``ids``.

        Returns the tokens the block costs beyond its text (images).
        """
        path = f"$.messages[{i}].content[{j}]"
        kinds = [
            k
            for k in (
                "text",
                "image",
                "video",
                "document",
                "reasoningContent",
                "toolUse",
                "toolResult",
            )
            if getattr(block, k) is not None
        ]
        if len(kinds) != 1:
            what = "no content" if not kinds else " and ".join(kinds)
            scan.err("E_BLOCK_INVALID", line, path, f"block has {what}")
            return 0
        kind = kinds[0]
        if kind not in self.blocks:
            scan.err(
                "E_BLOCK_UNSUPPORTED",
                line,
                f"{path}.{kind}",
                f"{self.ctx.model.name} does not accept {kind} blocks (accepts: {', '.join(sorted(self.blocks))})",
            )
        if kind == "text":
            t = block.text or ""
            if _empty(t):
                scan.err("E_EMPTY_TEXT", line, f"{path}.text", "empty text")
            texts.append(t)
            return 0
        if kind in _MEDIA_KINDS:
            media = getattr(block, kind)
            if role != "user":
                scan.err("E_MEDIA_ROLE", line, f"{path}.{kind}", f"{kind} in a {role} message")
            uri = media.source.s3Location.uri
            self.check_media_uri(
                uri, kind, media.format, line, f"{path}.{kind}.source.s3Location.uri", scan
            )
            scan.saw_media(kind, line)
            ids.append(uri)
            return self.image_tokens if kind == "image" else 0
        if kind == "reasoningContent":
            assert block.reasoningContent is not None
            t = block.reasoningContent.reasoningText.text
            if role != "assistant":
                scan.err(
                    "E_REASONING_ROLE",
                    line,
                    f"{path}.reasoningContent",
                    f"reasoning in a {role} message",
                )
            if _empty(t):
                scan.err(
                    "E_EMPTY_TEXT",
                    line,
                    f"{path}.reasoningContent.reasoningText.text",
                    "empty reasoning text",
                )
            texts.append(t)
            return 0
        payload = msgspec.json.encode(
            block.toolUse if kind == "toolUse" else block.toolResult
        ).decode()
        texts.append(payload)
        return 0

    def _record_level(self, rec: s.Conversation, line: int, scan: FileScan) -> None:
        images = videos = 0
        open_uses: dict[str, str] = {}  # toolUseId -> tool name, awaiting a result
        answered: set[str] = set()
        tool_names: set[str] | None = None
        if rec.toolConfig is not None:
            tool_names = {str(t.toolSpec.get("name", "")) for t in rec.toolConfig.tools}
        for i, msg in enumerate(rec.messages):
            pending_before = dict(open_uses) if msg.role == "user" else {}
            for j, block in enumerate(msg.content):
                if block.image is not None:
                    images += 1
                elif block.video is not None:
                    videos += 1
                elif block.toolUse is not None:
                    use = block.toolUse
                    path = f"$.messages[{i}].content[{j}].toolUse"
                    if msg.role != "assistant":
                        scan.err(
                            "E_BLOCK_INVALID", line, path, "toolUse outside an assistant message"
                        )
                    if tool_names is None:
                        scan.err(
                            "E_TOOL_CONFIG", line, "$.toolConfig", "toolUse without a toolConfig"
                        )
                        tool_names = set()
                    elif use.name not in tool_names:
                        scan.err(
                            "E_TOOL_CONFIG",
                            line,
                            f"{path}.name",
                            f'tool "{use.name[:60]}" is not in toolConfig',
                        )
                    open_uses[use.toolUseId] = use.name
                elif block.toolResult is not None:
                    rid = block.toolResult.toolUseId
                    path = f"$.messages[{i}].content[{j}].toolResult.toolUseId"
                    if rid not in open_uses or rid in answered:
                        scan.err(
                            "E_TOOL_RESULT_UNMATCHED",
                            line,
                            path,
                            f'"{rid[:60]}" answers no open toolUse',
                        )
                    else:
                        answered.add(rid)
            if msg.role == "user":
                for uid in pending_before:
                    if uid not in answered:
                        scan.err(
                            "E_TOOL_USE_UNANSWERED",
                            line,
                            f"$.messages[{i}]",
                            f'toolUse "{uid[:60]}" is not answered here',
                        )
                for uid in pending_before:
                    open_uses.pop(uid, None)
        media = self.limits.media
        if self.max_images is not None and images > self.max_images:
            scan.err(
                "E_MEDIA_COUNT",
                line,
                "$.messages",
                f"{images} images; at most {self.max_images} per record",
            )
        if self.max_videos is not None and videos > self.max_videos:
            scan.err(
                "E_MEDIA_COUNT",
                line,
                "$.messages",
                f"{videos} videos; at most {self.max_videos} per record",
            )
        del media

    def texts(self, rec: s.Conversation | s.TextConversation) -> list[str]:
        return [t for _, t in self.text_paths(rec)]

    def exact_tokens(self, rec: s.Conversation | s.TextConversation) -> int:
        n_images = sum(
            1 for m in rec.messages for b in m.content if getattr(b, "image", None) is not None
        )
        body = sum(exact_tokens(t) for t in self.texts(rec))
        return body + n_images * self.image_tokens + MESSAGE_OVERHEAD_TOKENS * len(rec.messages)

    def text_paths(self, rec: Any) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for i, b in enumerate(rec.system or ()):
            out.append((f"$.system[{i}].text", b.text))
        for i, m in enumerate(rec.messages):
            for j, b in enumerate(m.content):
                if isinstance(b, s.TextBlock) or b.text is not None:
                    out.append((f"$.messages[{i}].content[{j}].text", b.text))
                elif b.reasoningContent is not None:
                    out.append(
                        (
                            f"$.messages[{i}].content[{j}].reasoningContent.reasoningText.text",
                            b.reasoningContent.reasoningText.text,
                        )
                    )
                elif b.toolUse is not None or b.toolResult is not None:
                    out.append(
                        (
                            f"$.messages[{i}].content[{j}]",
                            msgspec.json.encode(b.toolUse or b.toolResult).decode(),
                        )
                    )
        return out


class PromptCompletionChecker(Checker):
    struct = s.PromptCompletion

    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        self.input_limit = self.limits.input_tokens_max
        self.output_limit = self.limits.output_tokens_max
        if self.input_limit is not None or self.output_limit is not None:
            self.exact_threshold = 0  # split limits: always count exactly (small datasets)

    def check(self, rec: s.PromptCompletion, line: int, scan: FileScan) -> None:
        prompt = rec.prompt
        completion = rec.completion
        if _empty(prompt):
            scan.err("E_EMPTY_TEXT", line, "$.prompt", "empty prompt")
        if _empty(completion):
            scan.err("E_EMPTY_TEXT", line, "$.completion", "empty completion")
        if self.input_limit is not None or self.output_limit is not None:
            p, c = exact_tokens(prompt), exact_tokens(completion)
            if self.input_limit is not None and p > self.input_limit:
                scan.err(
                    "E_INPUT_TOKENS_OVER_LIMIT",
                    line,
                    "$.prompt",
                    f"{p:,} tokens; at most {self.input_limit:,}",
                )
            if self.output_limit is not None and c > self.output_limit:
                scan.err(
                    "E_OUTPUT_TOKENS_OVER_LIMIT",
                    line,
                    "$.completion",
                    f"{c:,} tokens; at most {self.output_limit:,}",
                )
        scan.finish_record(
            line,
            estimate_tokens(prompt) + estimate_tokens(completion),
            hash(prompt),
            hash(completion),
            rec,
        )

    def texts(self, rec: s.PromptCompletion) -> list[str]:
        return [rec.prompt, rec.completion]

    def text_paths(self, rec: s.PromptCompletion) -> list[tuple[str, str]]:
        return [("$.prompt", rec.prompt), ("$.completion", rec.completion)]


class ContinuedPreTrainingChecker(Checker):
    struct = s.ContinuedPreTraining

    def check(self, rec: s.ContinuedPreTraining, line: int, scan: FileScan) -> None:
        text = rec.input
        if _empty(text):
            scan.err("E_EMPTY_TEXT", line, "$.input", "empty input")
        scan.finish_record(line, estimate_tokens(text), hash(text), 0, rec)

    def texts(self, rec: s.ContinuedPreTraining) -> list[str]:
        return [rec.input]

    def text_paths(self, rec: s.ContinuedPreTraining) -> list[tuple[str, str]]:
        return [("$.input", rec.input)]


class ImageCaptionChecker(Checker):
    struct = s.ImageCaption

    def check(self, rec: s.ImageCaption, line: int, scan: FileScan) -> None:
        caption = rec.caption
        lim = self.limits
        if _empty(caption):
            scan.err("E_EMPTY_TEXT", line, "$.caption", "empty caption")
        else:
            n = len(caption)
            low, high = lim.caption_min_chars, lim.caption_max_chars
            if (low is not None and n < low) or (high is not None and n > high):
                scan.err(
                    "E_CAPTION_LENGTH",
                    line,
                    "$.caption",
                    f"{n:,} characters; allowed {low or 1:,}–{high or '∞'}",
                )
        self.check_media_uri(rec.image_ref, "image", None, line, '$["image-ref"]', scan)
        scan.saw_media("image", line)
        scan.finish_record(line, estimate_tokens(caption), hash((rec.image_ref, caption)), 0, rec)

    def texts(self, rec: s.ImageCaption) -> list[str]:
        return [rec.caption]

    def text_paths(self, rec: s.ImageCaption) -> list[tuple[str, str]]:
        return [("$.caption", rec.caption)]


class ClaudeChecker(Checker):
    struct = s.ClaudeRecord

    def check(self, rec: s.ClaudeRecord, line: int, scan: FileScan) -> None:
        err = scan.err
        texts: list[str] = []
        tokens = 0
        if rec.system is not None:
            if _empty(rec.system):
                err("E_EMPTY_TEXT", line, "$.system", "empty system prompt (omit the key instead)")
            tokens += estimate_tokens(rec.system)
            texts.append(rec.system)
        msgs = rec.messages
        if not msgs:
            err("E_NO_MESSAGES", line, "$.messages", "messages is empty")
            return
        prev = ""
        for i, msg in enumerate(msgs):
            role = msg.role
            if role != "user" and role != "assistant":
                err("E_ROLE_INVALID", line, f"$.messages[{i}].role", f'role "{role[:40]}"')
            elif role == prev:
                err(
                    "E_ROLE_ORDER", line, f"$.messages[{i}].role", f'two "{role}" messages in a row'
                )
            prev = role
            if _empty(msg.content):
                err("E_EMPTY_TEXT", line, f"$.messages[{i}].content", "empty content")
            tokens += estimate_tokens(msg.content)
            texts.append(msg.content)
        if msgs[0].role != "user":
            err(
                "E_ROLE_FIRST",
                line,
                "$.messages[0].role",
                f'first message is "{msgs[0].role[:40]}"',
            )
        if msgs[-1].role != "assistant":
            hint = ""
            if all(msg.role != "assistant" for msg in msgs):  # prompts only
                hint = self.other_type_hint(CustomizationType.DISTILLATION)
            err(
                "E_ROLE_LAST",
                line,
                f"$.messages[{len(msgs) - 1}].role",
                f'last message is "{msgs[-1].role[:40]}"{hint}',
            )
        tokens += MESSAGE_OVERHEAD_TOKENS * len(msgs)
        scan.finish_record(line, tokens, hash(tuple(texts[:-1])), hash(texts[-1]), rec)

    def texts(self, rec: s.ClaudeRecord) -> list[str]:
        return [t for _, t in self.text_paths(rec)]

    def exact_tokens(self, rec: s.ClaudeRecord) -> int:
        return super().exact_tokens(rec) + MESSAGE_OVERHEAD_TOKENS * len(rec.messages)

    def text_paths(self, rec: s.ClaudeRecord) -> list[tuple[str, str]]:
        out = [("$.system", rec.system)] if rec.system is not None else []
        out += [(f"$.messages[{i}].content", m.content) for i, m in enumerate(rec.messages)]
        return out


class RftChecker(Checker):
    struct = s.RftRecord
    ROLES: ClassVar[frozenset[str]] = frozenset({"system", "user", "assistant"})

    def check(self, rec: s.RftRecord, line: int, scan: FileScan) -> None:
        err = scan.err
        texts: list[str] = []
        tokens = 0
        if not rec.messages:
            err("E_NO_MESSAGES", line, "$.messages", "messages is empty")
            return
        users = 0
        for i, msg in enumerate(rec.messages):
            if msg.role not in self.ROLES:
                err(
                    "E_ROLE_INVALID",
                    line,
                    f"$.messages[{i}].role",
                    f'role "{msg.role[:40]}" (use system, user or assistant)',
                )
            users += msg.role == "user"
            if _empty(msg.content):
                err("E_EMPTY_TEXT", line, f"$.messages[{i}].content", "empty content")
            tokens += estimate_tokens(msg.content)
            texts.append(msg.content)
        if not users:
            err("E_NO_PROMPT", line, "$.messages", "no user message holds the prompt")
        ref = rec.reference_answer
        if ref is None:
            err(
                "E_MISSING_KEY",
                line,
                "$.reference_answer",
                'missing "reference_answer" (what the grader compares with)',
            )
        elif isinstance(ref, str) and _empty(ref):
            err("E_EMPTY_TEXT", line, "$.reference_answer", "empty reference_answer")
        answer = hash(msgspec.json.encode(ref)) if ref is not None else 0
        scan.finish_record(line, tokens, hash(tuple(texts)), answer, rec)

    def texts(self, rec: s.RftRecord) -> list[str]:
        return [m.content for m in rec.messages]

    def text_paths(self, rec: s.RftRecord) -> list[tuple[str, str]]:
        return [(f"$.messages[{i}].content", m.content) for i, m in enumerate(rec.messages)]


CHECKERS: dict[RecordFormat, type[Checker]] = {
    RecordFormat.CONVERSATION: ConversationChecker,
    RecordFormat.DISTILLATION: ConversationChecker,
    RecordFormat.PROMPT_COMPLETION: PromptCompletionChecker,
    RecordFormat.CONTINUED_PRE_TRAINING: ContinuedPreTrainingChecker,
    RecordFormat.IMAGE_CAPTION: ImageCaptionChecker,
    RecordFormat.CLAUDE_MESSAGES: ClaudeChecker,
    RecordFormat.RFT: RftChecker,
}


def make_checker(ctx: CheckContext) -> Checker:
    return CHECKERS[ctx.fmt](ctx)
