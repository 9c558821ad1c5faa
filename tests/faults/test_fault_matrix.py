"""Every call site of the registry, failed (a) once — a transient error — and (b) every time —
an access-denied error, as a missing permission gives — on the cheapest path that makes it.
After the run settles (reconcile sweeps fire as the schedule would), I1-I7 must hold; and a
transient failure must not change how the run ends."""

from __future__ import annotations

from typing import Any

import pytest

from faults.harness import Harness, assert_invariants
from faults.paths import BY_NAME
from faults.registry import CallSite, load

# One throttle or outage, as each service reports it (botocore's models: S3 SlowDown 503,
# SNS Throttled 429; the JSON services ThrottlingException).
TRANSIENT = {"s3": "SlowDown", "sns": "Throttled"}
TRANSIENT_DEFAULT = "ThrottlingException"
# A permission the function lacks, as each service reports it.
PERMANENT = {"s3": "AccessDenied", "sns": "AuthorizationError"}
PERMANENT_DEFAULT = "AccessDeniedException"
KINDS = ("transient", "permanent")

SITES = load()
CASES = [(site, kind) for site in sorted(SITES) for kind in KINDS]


def rule_for(site: CallSite, kind: str) -> dict[str, Any]:
    if kind == "transient":
        error, times = TRANSIENT.get(site.service, TRANSIENT_DEFAULT), 1
    else:
        error, times = PERMANENT.get(site.service, PERMANENT_DEFAULT), "always"
    return {
        "function": site.function,
        "service": site.service,
        "operation": site.operation,
        "error": error,
        "times": times,
    }


@pytest.mark.parametrize(("site", "kind"), CASES, ids=[f"{site.id}-{kind}" for site, kind in CASES])
def test_a_failed_call_keeps_the_invariants(harness: Harness, site: CallSite, kind: str) -> None:
    path = BY_NAME[SITES[site][0]]
    injector = harness.arm(path.plan(rule_for(site, kind)))
    path.drive(harness)
    report = harness.settle()
    world = harness.world()
    assert any(i.rule == len(path.faults) for i in injector.injected), (
        f"{site.id} was never called on the {path.name} path: the registry is stale "
        "(regenerate it: see tests/faults/registry.py)"
    )
    assert_invariants(world, report)
    if kind == "transient":
        statuses = tuple(sorted(str(r["status"]) for r in world.runs.values()))
        assert statuses == path.statuses, f"one failed {site.id} call changed the outcome"
