"""Stable problem codes of the dataset validator.

Every problem the validator reports carries one of these codes. Codes are a contract:
reports, notifications, docs and tests name them, so a code is never renamed or reused.
``E_`` codes are errors (the dataset would fail or be rejected by Bedrock), ``W_`` codes
are warnings (the job runs, but the result or the bill may disappoint).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class CodeInfo(NamedTuple):
    severity: Severity
    title: str
    fix: str


E = Severity.ERROR
W = Severity.WARNING

CODES: dict[str, CodeInfo] = {
    # --- the file ---------------------------------------------------------------------
    "E_FILE_EMPTY": CodeInfo(
        E, "the file has no records", "Upload a JSONL file with one JSON object per line."
    ),
    "E_FILE_TOO_LARGE": CodeInfo(
        E,
        "the file is larger than the model allows",
        "Split or trim the file below the limit shown, or ask AWS to raise the quota and set it in a catalog override.",
    ),
    "E_BOM": CodeInfo(
        E,
        "the file starts with a UTF-8 byte-order mark",
        "Save the file as UTF-8 without BOM (e.g. `sed -i '1s/^\\xEF\\xBB\\xBF//' FILE`).",
    ),
    "E_NOT_UTF8": CodeInfo(
        E,
        "the line is not valid UTF-8",
        "Re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
    ),
    "E_BLANK_LINE": CodeInfo(
        E, "blank line", "Remove empty lines: every line must hold one JSON object."
    ),
    "E_LINE_TOO_LONG": CodeInfo(
        E,
        "the line is too long to be a training record",
        "Look for a missing newline between records, or a record that embeds a whole file; Bedrock records are far smaller.",
    ),
    "E_JSON_INVALID": CodeInfo(
        E,
        "the line is not valid JSON",
        "Write each record with a JSON library (json.dumps) on a single line; a broken last line usually means the upload was truncated.",
    ),
    "E_JSON_NONSTANDARD": CodeInfo(
        E,
        "the line uses NaN or Infinity, which are not JSON",
        "Replace NaN/Infinity with numbers or strings (json.dumps(..., allow_nan=False) finds them).",
    ),
    "E_JSON_TOO_DEEP": CodeInfo(
        E, "the JSON is nested too deeply", "Records are shallow objects; flatten the structure."
    ),
    "E_NOT_OBJECT": CodeInfo(
        E,
        "the line is JSON but not an object",
        "Each line must be a JSON object ({...}), not an array, string or number.",
    ),
    "E_WRONG_FORMAT": CodeInfo(
        E,
        "the record is in another format than the model takes",
        "Convert the records to the format shown, or pick a model that takes this format.",
    ),
    # --- keys and values --------------------------------------------------------------
    "E_MISSING_KEY": CodeInfo(E, "a required key is missing", "Add the key shown."),
    "E_UNKNOWN_KEY": CodeInfo(
        E, "a key the format does not define", "Remove the key or fix its spelling."
    ),
    "E_WRONG_TYPE": CodeInfo(E, "a value has the wrong JSON type", "Use the type shown."),
    "E_EMPTY_TEXT": CodeInfo(
        E, "a text is empty or only whitespace", "Fill in the text or drop the record."
    ),
    "E_SCHEMA_VERSION": CodeInfo(
        E,
        "schemaVersion is not bedrock-conversation-2024",
        'Set "schemaVersion": "bedrock-conversation-2024".',
    ),
    "E_SCHEMA": CodeInfo(
        E,
        "the record does not match the format",
        "Compare the record with the format's documented example.",
    ),
    # --- conversations ----------------------------------------------------------------
    "E_NO_MESSAGES": CodeInfo(
        E, "the record has no messages", "Add at least one user message and one assistant message."
    ),
    "E_NO_PROMPT": CodeInfo(
        E,
        "no user message holds the prompt",
        "Put the prompt in a message with role user.",
    ),
    "E_ROLE_INVALID": CodeInfo(
        E,
        "role is neither user nor assistant",
        'Use "user" or "assistant"; put system text in the system field.',
    ),
    "E_ROLE_FIRST": CodeInfo(
        E, "the first message is not from the user", "Start every conversation with a user message."
    ),
    "E_ROLE_LAST": CodeInfo(
        E,
        "the last message is not from the assistant",
        "End every conversation with the assistant's answer (the model learns from it).",
    ),
    "E_ROLE_ORDER": CodeInfo(
        E,
        "two messages in a row have the same role",
        "Alternate user and assistant messages; merge consecutive messages of one role.",
    ),
    "E_TOO_MANY_TURNS": CodeInfo(
        E,
        "the model takes a single exchange only",
        "Keep one user message (and at most one assistant message) per record.",
    ),
    "E_EMPTY_CONTENT": CodeInfo(
        E, "a message has no content blocks", "Give every message at least one content block."
    ),
    "E_BLOCK_INVALID": CodeInfo(
        E,
        "a content block must hold exactly one kind",
        "Use one of text, image, video, document, reasoningContent, toolUse, toolResult per block.",
    ),
    "E_BLOCK_UNSUPPORTED": CodeInfo(
        E,
        "the model does not accept this kind of content",
        "Remove the block or choose a model that accepts it (see `bedrock-tuner catalog --model ID`).",
    ),
    "E_REASONING_ROLE": CodeInfo(
        E,
        "reasoningContent outside an assistant message",
        "Put reasoning only in assistant messages.",
    ),
    "E_TOOL_USE_UNANSWERED": CodeInfo(
        E,
        "a toolUse has no matching toolResult",
        "Answer every toolUse with a toolResult of the same toolUseId in the next user message.",
    ),
    "E_TOOL_RESULT_UNMATCHED": CodeInfo(
        E,
        "a toolResult answers no earlier toolUse (or answers one twice)",
        "Give each toolResult the toolUseId of exactly one earlier toolUse.",
    ),
    "E_TOOL_CONFIG": CodeInfo(
        E,
        "toolUse blocks need a toolConfig listing the tools",
        "Add toolConfig.tools with a toolSpec for every tool name used.",
    ),
    # --- media ------------------------------------------------------------------------
    "E_MEDIA_ROLE": CodeInfo(
        E,
        "media in an assistant message",
        "Put images, videos and documents only in user messages.",
    ),
    "E_MEDIA_COUNT": CodeInfo(
        E,
        "too many media items in one record",
        "Split the record or drop media to the limit shown.",
    ),
    "E_MEDIA_MIXED": CodeInfo(
        E,
        "the dataset mixes images and videos",
        "Use one modality per dataset: text+images or text+video.",
    ),
    "E_MEDIA_URI": CodeInfo(
        E,
        "the media location is not an s3://bucket/key URI",
        "Reference media as s3://bucket/key in the dataset's bucket.",
    ),
    "E_MEDIA_BUCKET": CodeInfo(
        E,
        "the media lives in another bucket than the dataset",
        "Copy the media into the dataset's bucket; Bedrock reads media only from there.",
    ),
    "E_MEDIA_FORMAT": CodeInfo(
        E,
        "the media format is not accepted",
        "Convert to an accepted format (see the message) and make the extension match.",
    ),
    "E_MEDIA_NAME": CodeInfo(
        E,
        "the media file name has characters Nova rejects",
        "Rename using letters, digits, '_', '-', '/' and '.' only.",
    ),
    # --- content limits ---------------------------------------------------------------
    "E_RESERVED_STRING": CodeInfo(
        E,
        "the text contains a string the model reserves",
        "Rephrase without the reserved string (e.g. 'Customer -' instead of 'User:'); Bedrock fails the job on it.",
    ),
    "E_TOKENS_OVER_LIMIT": CodeInfo(
        E,
        "the record has more tokens than the model allows",
        "Shorten or split the record, or lower batchSize where a smaller batch allows longer records.",
    ),
    "E_INPUT_TOKENS_OVER_LIMIT": CodeInfo(
        E, "the prompt has more tokens than the model allows", "Shorten the prompt."
    ),
    "E_OUTPUT_TOKENS_OVER_LIMIT": CodeInfo(
        E, "the completion has more tokens than the model allows", "Shorten the completion."
    ),
    "E_CAPTION_LENGTH": CodeInfo(
        E,
        "the caption length is outside the model's range",
        "Write a caption within the range shown.",
    ),
    # --- the dataset as a whole -------------------------------------------------------
    "E_RECORDS_TOO_FEW": CodeInfo(
        E, "fewer records than the model needs", "Add records up to the minimum shown."
    ),
    "E_RECORDS_TOO_MANY": CodeInfo(
        E,
        "more records than the model takes",
        "Drop or sample records down to the maximum, or raise the quota and set it in a catalog override.",
    ),
    "E_VALIDATION_RECORDS_TOO_FEW": CodeInfo(
        E,
        "fewer validation records than the model needs",
        "Add validation records, or split one file: `bedrock-tuner split FILE --validation-ratio 0.1 --model ID`.",
    ),
    "E_VALIDATION_RECORDS_TOO_MANY": CodeInfo(
        E,
        "more validation records than the model takes",
        "Trim the validation file to the maximum shown.",
    ),
    "E_TOTAL_RECORDS_TOO_MANY": CodeInfo(
        E,
        "training plus validation records exceed the model's total",
        "Trim the files so their sum stays within the maximum shown.",
    ),
    "E_VALIDATION_NOT_ACCEPTED": CodeInfo(
        E,
        "the model takes no validation file",
        "Drop --validation; the model evaluates on a split of its own.",
    ),
    "E_HP_UNKNOWN": CodeInfo(
        E,
        "unknown hyperparameter",
        "Use a hyperparameter the model defines (see `bedrock-tuner catalog --model ID`).",
    ),
    "E_HP_TYPE": CodeInfo(
        E,
        "the hyperparameter value has the wrong type",
        "Give a number (or one of the listed choices) as shown.",
    ),
    "E_HP_RANGE": CodeInfo(
        E, "the hyperparameter is outside its range", "Pick a value inside the range shown."
    ),
    # --- warnings ---------------------------------------------------------------------
    "W_DUPLICATE": CodeInfo(
        W,
        "exact duplicate of an earlier record",
        "Remove duplicates: they overweight those examples and cost training tokens.",
    ),
    "W_CONFLICTING_ANSWER": CodeInfo(
        W,
        "the same prompt has a different answer earlier",
        "Keep one answer per prompt unless the variety is intended.",
    ),
    "W_LONG_OUTLIER": CodeInfo(
        W,
        "the record is far longer than the rest",
        "Check it is not two records glued together or a pasted document.",
    ),
    "W_SMALL_DATASET": CodeInfo(
        W,
        "very small dataset",
        "Fine-tuning usually needs hundreds to thousands of good examples to beat prompting.",
    ),
    "W_MODEL_LIFECYCLE": CodeInfo(
        W,
        "the base model is legacy or near its end of life",
        "Prefer an ACTIVE model; a custom model cannot outlive its base.",
    ),
    "W_CRLF": CodeInfo(
        W, "Windows (CRLF) line endings", "Convert to LF line endings (dos2unix) to be safe."
    ),
    "W_DUPLICATE_TRACKING_LIMITED": CodeInfo(
        W,
        "duplicate detection stopped early",
        "The file has more records than the duplicate tracker holds; deduplicate offline.",
    ),
}


def severity_of(code: str) -> Severity:
    return CODES[code].severity
