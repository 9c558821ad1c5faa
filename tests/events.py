"""One source of sample events: ``events/<source>_<scenario>.json`` (also used by
``sam local invoke -e``). ``load_event(name)`` returns a fresh copy to modify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def event_names() -> list[str]:
    return sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def load_event(name: str) -> dict[str, Any]:
    """The sample event ``events/<name>.json`` (``.json`` optional)."""
    path = EVENTS_DIR / (name if name.endswith(".json") else f"{name}.json")
    if not path.exists():
        raise FileNotFoundError(f"no sample event {path.name}; have: {', '.join(event_names())}")
    document: dict[str, Any] = json.loads(path.read_text())
    return document
