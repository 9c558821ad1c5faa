"""Slack Block Kit for a :class:`~bedrock_tuner.notify.messages.Notification`.

Block Kit limits respected: header text ≤ 150 characters, section text ≤ 3000, at most
10 fields of ≤ 2000 characters, at most 5 buttons here. Text is escaped for mrkdwn
(``&``, ``<``, ``>``), so a dataset key cannot inject links or mentions.
"""

from __future__ import annotations

from typing import Any

from bedrock_tuner.notify.messages import Notification

__all__ = ["build_slack_payload", "escape_mrkdwn"]

_EMOJI = {
    "info": ":information_source:",
    "success": ":white_check_mark:",
    "warning": ":warning:",
    "error": ":x:",
}
_HEADER_MAX = 150
_SECTION_MAX = 3000
_FIELD_MAX = 2000
_FIELD_KEYS = (
    ("family", "Family"),
    ("version", "Version"),
    ("estimatedCostUsd", "Estimated cost"),
    ("status", "Job status"),
    ("error", "Error"),
    ("records", "Records"),
    ("baseModel", "Base model"),
    ("dataset", "Dataset"),
)


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_value(key: str, value: Any) -> str:
    if key == "estimatedCostUsd" and isinstance(value, int | float):
        return f"${value:,.2f}"
    return str(value)


def build_slack_payload(note: Notification) -> dict[str, Any]:
    """The JSON body for an incoming webhook: a fallback ``text`` and ``blocks``."""
    emoji = _EMOJI.get(note.severity, "")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _cut(f"{emoji} {note.subject}".strip(), _HEADER_MAX),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cut(escape_mrkdwn(note.text), _SECTION_MAX)},
        },
    ]
    fields = [
        {
            "type": "mrkdwn",
            "text": _cut(
                f"*{label}*\n{escape_mrkdwn(_field_value(key, note.details[key]))}", _FIELD_MAX
            ),
        }
        for key, label in _FIELD_KEYS
        if note.details.get(key) not in (None, "")
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": _cut(link.label, 75)},
            "url": link.url,
        }
        for link in note.links
        if link.url.startswith("https://")
    ][:5]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape_mrkdwn(
                        f"run {note.run_id} · pipeline {note.pipeline} · {note.kind}"
                    ),
                }
            ],
        }
    )
    return {"text": _cut(note.subject, _SECTION_MAX), "blocks": blocks}
