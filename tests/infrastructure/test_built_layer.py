"""The Lambda layer as `sam build` builds it holds runtime code only: the bedrock_tuner package
and the distributions layers/core/requirements.txt pins, never the CLI, the API client, the
local cloud or what only they and the tests need.

`make test` runs `make sam-build` before pytest; without a build these tests are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / ".aws-sam" / "build" / "CoreLayer" / "python"
# What the layer's ContentUri (layers/core) holds besides the package: copied as they are.
LAYER_FILES = {"bedrock_tuner", "requirements.txt", "pyproject.toml"}
# Import names of the other distributions and of what only they or the tests use.
NOT_RUNTIME_MODULES = {
    "bedrock_tuner_cli",
    "bedrock_tuner_localcloud",
    "moto",
    "samtranslator",
    "werkzeug",
    "flask",
    "flask_cors",
    "awscli",
    "rich",
    "pygments",
    "markdown_it",
    "pytest",
    "hypothesis",
    "schemathesis",
    "orjson",
    "psutil",
}

pytestmark = pytest.mark.skipif(
    not LAYER.is_dir(),
    reason=f"no built layer at {LAYER.relative_to(ROOT)}: run `make sam-build` (make test does)",
)


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _dist_infos() -> dict[str, Path]:
    """The distributions installed in the layer: normalized name -> its .dist-info."""
    return {
        _name(path.name.removesuffix(".dist-info").rsplit("-", 1)[0]): path
        for path in LAYER.glob("*.dist-info")
    }


def _owned_top_level() -> set[str]:
    """Every top-level file or folder some installed distribution's RECORD lists."""
    owned = set()
    for info in _dist_infos().values():
        for line in (info / "RECORD").read_text().splitlines():
            owned.add(line.split(",", 1)[0].split("/", 1)[0])
    return owned


def _requirements() -> set[str]:
    lines = (ROOT / "layers/core/requirements.txt").read_text().splitlines()
    return {_name(line.split("==", 1)[0]) for line in lines if "==" in line.split("#", 1)[0]}


def test_the_layer_has_no_cli_client_or_local_cloud_code() -> None:
    top = {path.name.removesuffix(".py") for path in LAYER.iterdir()}
    assert not top & NOT_RUNTIME_MODULES
    package = {path.name for path in (LAYER / "bedrock_tuner").iterdir()}
    assert not package & {"cli", "client", "localcloud"}, (
        f"{LAYER.relative_to(ROOT)} is stale or layers/core holds more than the runtime: "
        "run `make sam-build`"
    )


def test_the_layer_installs_exactly_the_pinned_requirements() -> None:
    installed = set(_dist_infos())
    assert installed == _requirements(), (
        "the built layer's distributions differ from layers/core/requirements.txt "
        "(stale build? run `make sam-build`)"
    )


def test_everything_in_the_layer_is_the_package_or_a_pinned_distribution() -> None:
    unowned = {path.name for path in LAYER.iterdir()} - _owned_top_level() - LAYER_FILES
    assert not unowned, f"the layer holds files no pinned distribution installed: {unowned}"
