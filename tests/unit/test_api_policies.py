"""The API's managed policies (template.yaml) against the API's real routes (D15).

Any principal with ``execute-api:Invoke`` on the whole API could approve its own run, move any
alias and delete any spec. The stack outputs one managed policy per role, each granting
``execute-api:Invoke`` on named method ARNs: a route in no policy, or a policy naming a route
that does not exist, fails here.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.api.app import build_resolver
from bedrock_tuner_localcloud.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
ARN_PREFIX = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/v1/"
POLICIES = ("ApiViewerPolicy", "ApiOperatorPolicy", "ApiReleaserPolicy", "ApiAdminPolicy")
# What each role may do beyond reading (docs/api.md, "Roles").
OPERATOR = {
    ("POST", "/runs"),
    ("POST", "/runs/{run_id}/stop"),
    ("POST", "/runs/{run_id}/recover"),
    ("POST", "/approvals/{run_id}"),
    ("POST", "/datasets/validate"),
}
RELEASER = {
    ("PUT", "/models/{family}/aliases/{alias}"),
    ("POST", "/models/{family}/aliases/{alias}/rollback"),
}
ADMIN_ONLY = {("PUT", "/pipelines/{name}"), ("DELETE", "/pipelines/{name}")}
READ_ONLY_POSTS = {("POST", "/estimate")}  # a calculation: no data read, nothing changed

Route = tuple[str, str]


def api_routes() -> set[Route]:
    """Every (method, path) the API function answers, ``/docs`` and ``/openapi.json`` too."""
    app = build_resolver()
    return {
        (route.method.upper(), route.openapi_path)
        for route in [*app._static_routes, *app._dynamic_routes]
    }


def concrete(path: str) -> str:
    """A request path of the route (``{run_id}`` → a value), as IAM sees it."""
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_yaml(ROOT / "template.yaml")


def grants(template: dict[str, Any], name: str) -> list[Route]:
    """(method, path pattern) of every ``execute-api:Invoke`` resource of policy ``name``."""
    resource = template["Resources"][name]
    assert resource["Type"] == "AWS::IAM::ManagedPolicy", name
    out: list[Route] = []
    for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
        for item in statement["Resource"]:
            arn = item["Fn::Sub"]
            assert arn.startswith(ARN_PREFIX), (name, arn)
            method, _, path = arn.removeprefix(ARN_PREFIX).partition("/")
            assert method in {"GET", "POST", "PUT", "DELETE"}, (name, arn)
            out.append((method, "/" + path))
    return out


def granted(template: dict[str, Any], name: str, routes: set[Route]) -> set[Route]:
    """The routes policy ``name`` lets a caller invoke (IAM: ``*`` matches across ``/``)."""
    return {
        (method, path)
        for method, path in routes
        for g_method, pattern in grants(template, name)
        if g_method == method and fnmatch.fnmatchcase(concrete(path), pattern)
    }


def test_every_route_is_in_a_policy_and_every_grant_is_a_route(template: dict[str, Any]) -> None:
    routes = api_routes()
    assert ("GET", "/openapi.json") in routes and ("POST", "/approvals/{run_id}") in routes
    for name in POLICIES:
        for method, pattern in grants(template, name):
            hits = [
                p for m, p in routes if m == method and fnmatch.fnmatchcase(concrete(p), pattern)
            ]
            assert hits, f"{name} grants {method} {pattern}: no such route"
    assert granted(template, "ApiAdminPolicy", routes) == routes
    narrower = set().union(
        *(granted(template, name, routes) for name in POLICIES if name != "ApiAdminPolicy")
    )
    assert routes - narrower == ADMIN_ONLY, "a route only the admin can call, or a new route"


def test_each_role_gets_what_it_needs_and_nothing_more(template: dict[str, Any]) -> None:
    routes = api_routes()
    reads = {(m, p) for m, p in routes if m == "GET"} | READ_ONLY_POSTS
    assert granted(template, "ApiViewerPolicy", routes) == reads
    assert granted(template, "ApiOperatorPolicy", routes) == reads | OPERATOR
    assert granted(template, "ApiReleaserPolicy", routes) == reads | RELEASER
    assert OPERATOR | RELEASER | ADMIN_ONLY | reads == routes


def test_the_policies_are_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for name in POLICIES:
        assert outputs[f"{name}Arn"]["Value"] == {"Ref": name}
