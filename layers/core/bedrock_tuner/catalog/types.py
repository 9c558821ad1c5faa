"""Typed shape of the model catalog.

The catalog is data (``catalog/data/models.yaml``) decoded into these structs, so a wrong
key or type in the bundled file or in a user override fails loudly at load time.
"""

from __future__ import annotations

import enum
from typing import Literal

import msgspec


class CustomizationType(enum.StrEnum):
    FINE_TUNING = "FINE_TUNING"
    CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
    DISTILLATION = "DISTILLATION"
    REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"


class RecordFormat(enum.StrEnum):
    """The JSONL record shapes Bedrock accepts (model-customization-prepare.html and the Nova
    data pages)."""

    PROMPT_COMPLETION = "prompt_completion"  # {"prompt", "completion"}
    CONVERSATION = "conversation"  # bedrock-conversation-2024
    CLAUDE_MESSAGES = "claude_messages"  # {"system": str, "messages": [{"role","content": str}]}
    CONTINUED_PRE_TRAINING = "continued_pretraining"  # {"input"}
    IMAGE_CAPTION = "image_caption"  # {"image-ref", "caption"}
    DISTILLATION = "distillation"  # conversation prompts, assistant turn optional
    RFT = "rft"  # {"id"?, "messages", "reference_answer", "tools"?}


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """A public page a model's facts were read from, and the day they were read."""

    url: str  # https://docs.aws.amazon.com/...
    read_on: str  # ISO date


class Price(msgspec.Struct, frozen=True, kw_only=True):
    """Dated price facts in USD. ``None`` means not published / not known."""

    training_per_1k_tokens: float | None = None
    storage_per_month: float | None = None
    provisioned_throughput_per_hour: float | None = None
    as_of: str  # ISO date the price was read
    source: str  # the public page it was read on, or "unverified ..." / "not recorded ..."


class Lifecycle(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ACTIVE", "LEGACY"] = "ACTIVE"
    legacy_time: str | None = None  # ISO date
    end_of_life_time: str | None = None  # ISO date


class Hyperparameter(msgspec.Struct, frozen=True, kw_only=True):
    """One tunable. Values travel as strings in the Bedrock API."""

    name: str
    type: Literal["int", "float", "enum"]
    min: float | None = None
    max: float | None = None
    default: str | None = None
    choices: tuple[str, ...] = ()  # for "enum"; also extra literal values for numbers ("Auto")
    description: str = ""


class TokenLimit(msgspec.Struct, frozen=True, kw_only=True):
    """``max_tokens`` per record when the batch size lies in [batch_min, batch_max]."""

    max_tokens: int
    batch_min: int = 1
    batch_max: int = 1_000_000


class MediaLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Rules for images/videos/documents referenced by a record (all optional)."""

    image_formats: tuple[str, ...] = ()  # lower-case extensions / format names: "png", "jpeg", ...
    images_per_record_max: int | None = None
    image_max_bytes: int | None = None
    image_min_px: int | None = None  # per side
    image_max_px: int | None = None  # per side
    image_max_pixels: int | None = None  # width * height
    aspect_ratio_min: float | None = None  # width / height, e.g. 0.25 for 1:4
    aspect_ratio_max: float | None = None
    image_tokens: Literal["llama_tiles", "none"] = "none"  # how an image counts toward tokens
    video_formats: tuple[str, ...] = ()
    videos_per_record_max: int | None = None
    video_max_bytes: int | None = None
    video_max_seconds: int | None = None
    document_formats: tuple[str, ...] = ()
    document_max_bytes: int | None = None
    nova_file_names: bool = False  # letters, digits, "_ - / ." only


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Dataset limits for one (model, customization type). ``None`` = no known limit."""

    train_records_min: int | None = None
    train_records_max: int | None = None
    validation_records_min: int | None = None
    validation_records_max: int | None = None
    total_records_max: int | None = None  # train + validation (Llama)
    tokens_per_record: tuple[TokenLimit, ...] = ()
    input_tokens_max: int | None = None  # prompt side only (Cohere)
    output_tokens_max: int | None = None  # completion side only (Cohere)
    train_file_max_bytes: int | None = None
    validation_file_max_bytes: int | None = None
    caption_min_chars: int | None = None
    caption_max_chars: int | None = None
    media: MediaLimits = MediaLimits()
    reserved_strings: tuple[str, ...] = ()
    multi_turn: bool = True  # False: a single user (and assistant) turn only
    content_blocks: tuple[str, ...] = ("text",)  # conversation blocks accepted
    system_prompt: bool = True


class TypeSupport(msgspec.Struct, frozen=True, kw_only=True):
    """How a base model takes one customization type."""

    formats: tuple[RecordFormat, ...]
    accepts_validation: bool = True
    roles: tuple[Literal["teacher", "student"], ...] = ()  # distillation only
    limits: Limits = Limits()
    hyperparameters: tuple[Hyperparameter, ...] = ()
    notes: str = ""


class BaseModel(msgspec.Struct, frozen=True, kw_only=True):
    """One base model that Bedrock can customize."""

    id: str
    name: str
    provider: str
    regions: tuple[str, ...] = ()
    lifecycle: Lifecycle = Lifecycle()
    customization: dict[CustomizationType, TypeSupport]
    price: Price | None = None
    chars_per_token: float = 4.0  # planning ratio when nothing better is known
    sources: tuple[Source, ...] = ()  # public pages the facts came from, with read dates

    def supports(self, ctype: CustomizationType) -> bool:
        return ctype in self.customization


class Catalog(msgspec.Struct, frozen=True, kw_only=True):
    """The whole catalog, as loaded (bundled data merged with overrides)."""

    read_on: str  # ISO date the bundled facts were collected
    models: tuple[BaseModel, ...]
    override_files: tuple[str, ...] = ()
