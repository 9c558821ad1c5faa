"""The call-site registry (tests/faults/call_sites.json): every AWS call the functions make on
the workflow's paths, as (function, service, operation), with the paths that make it.

It is data traced from fault-free runs of every path (test_call_sites.py checks it is
complete; ``BT_WRITE_CALL_SITES=1`` rewrites it from the traces), and the fault matrix
(test_fault_matrix.py) fails each site once and for good.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

REGISTRY = Path(__file__).with_name("call_sites.json")
WRITE_ENV = "BT_WRITE_CALL_SITES"


@dataclass(frozen=True, order=True)
class CallSite:
    function: str
    service: str
    operation: str

    @property
    def id(self) -> str:
        return f"{self.function}.{self.service}.{self.operation}"


def load() -> dict[CallSite, list[str]]:
    """Every site and the paths (in the order of paths.PATHS) that always make it."""
    data = json.loads(REGISTRY.read_text())
    return {
        CallSite(item["function"], item["service"], item["operation"]): list(item["paths"])
        for item in data["sites"]
    }


def sometimes() -> dict[CallSite, list[str]]:
    """Paths that make a site or not depending on timing (a sweep that finds a job's resume
    still pending, or already done): listed by hand, never required."""
    data = json.loads(REGISTRY.read_text())
    return {
        CallSite(item["function"], item["service"], item["operation"]): list(item["sometimes"])
        for item in data["sites"]
        if item.get("sometimes")
    }


def write(sites: dict[CallSite, list[str]], order: list[str]) -> None:
    kept = sometimes() if REGISTRY.is_file() else {}
    rank = {name: i for i, name in enumerate(order)}
    data = {
        "comment": "AWS calls the functions make on the workflow's paths, traced from "
        "fault-free runs of tests/faults/paths.py. Regenerate: BT_WRITE_CALL_SITES=1 "
        '.venv/bin/python -m pytest tests/faults/test_call_sites.py. "sometimes": paths '
        "that make the call or not depending on timing (listed by hand; never required)",
        "sites": [
            {
                "function": site.function,
                "service": site.service,
                "operation": site.operation,
                "paths": sorted(set(paths), key=lambda p: rank.get(p, len(rank))),
                **({"sometimes": kept[site]} if site in kept else {}),
            }
            for site, paths in sorted(sites.items())
            if paths
        ],
    }
    REGISTRY.write_text(json.dumps(data, indent=2) + "\n")
