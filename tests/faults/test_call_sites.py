"""Every path of the workflow, fault-free: it ends as it should, the invariants hold, and every
AWS call its functions make is in the call-site registry (so the fault matrix keeps up with
the code: a new call site fails here until the registry lists it)."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from faults.harness import Harness, assert_invariants
from faults.paths import PATHS, WorkflowPath
from faults.registry import WRITE_ENV, CallSite, load, sometimes, write


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_path_is_in_the_registry(harness: Harness, path: WorkflowPath) -> None:
    if path.faults:
        harness.arm(path.plan())
    path.drive(harness)
    report = harness.settle(recover=False)
    world = harness.world()
    assert_invariants(world, report)
    assert tuple(sorted(str(r["status"]) for r in world.runs.values())) == path.statuses
    seen = {CallSite(*site) for site in harness.call_sites()}
    registry = load() if os.environ.get(WRITE_ENV) != "1" or _exists() else {}
    listed = {site for site, paths in registry.items() if path.name in paths}
    optional = {site for site, paths in sometimes().items() if path.name in paths}
    if os.environ.get(WRITE_ENV) == "1":
        for site in registry:
            registry[site] = [p for p in registry[site] if p != path.name]
        for site in seen - optional:
            registry.setdefault(site, []).append(path.name)
        write(registry, [p.name for p in PATHS])
        return
    new = sorted(s.id for s in seen - listed - optional)
    gone = sorted(s.id for s in listed - seen)
    assert not new, (
        f"call sites on the {path.name} path that tests/faults/call_sites.json lacks: {new}; "
        f"add them ({WRITE_ENV}=1 .venv/bin/python -m pytest tests/faults/test_call_sites.py) "
        "so the fault matrix fails them too"
    )
    assert not gone, f"the registry lists calls the {path.name} path no longer makes: {gone}"


def test_the_registry_lists_each_site_once_with_a_path() -> None:
    sites = load()
    assert sites, "tests/faults/call_sites.json is empty"
    names = {p.name for p in PATHS}
    for site, paths in sites.items():
        assert paths and set(paths) <= names, f"{site.id}: unknown paths {paths}"
    counts = Counter(site.id for site in sites)
    assert max(counts.values()) == 1


def _exists() -> bool:
    from faults.registry import REGISTRY

    return REGISTRY.is_file()
