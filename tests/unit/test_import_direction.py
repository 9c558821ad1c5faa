"""Every import points down.

Each module of the three packages and each handler belongs to one layer; a module may import
its own layer and the layers its row of ``MAY_IMPORT`` names, nothing above. Every import
counts: module level, function-local and ``TYPE_CHECKING`` ones (the AST, not what runs).
The rules are the data below; docs/decisions.md says why.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_ROOTS = [ROOT / "layers/core", ROOT / "localcloud", ROOT / "cli"]

# Layer -> the modules in it (a name and everything under it). Bottom to top.
LAYERS: dict[str, tuple[str, ...]] = {
    # the package root (its version), errors, casing, clock, settings, logging/tracing
    "base": (
        "bedrock_tuner.errors",
        "bedrock_tuner.casing",
        "bedrock_tuner.clock",
        "bedrock_tuner.observability",
        "bedrock_tuner.settings",
    ),
    # records: the workflow's payloads, the bucket's key layout, dataset sources
    "models": ("bedrock_tuner.models",),
    "catalog": ("bedrock_tuner.catalog",),
    # the only modules that call boto3
    "adapters": ("bedrock_tuner.aws",),
    # the Protocols Deps is typed by
    "ports": ("bedrock_tuner.ports",),
    # the composition root: builds the adapters
    "deps": ("bedrock_tuner.deps",),
    "datasets": ("bedrock_tuner.datasets",),
    "registry": ("bedrock_tuner.registry",),
    "notify": ("bedrock_tuner.notify",),
    # the use cases behind each handler
    "pipeline": ("bedrock_tuner.pipeline",),
    "api": ("bedrock_tuner.api",),
    "handlers": ("functions",),
    # the other two distributions: they may use the core, the core never uses them
    "localcloud": ("bedrock_tuner_localcloud",),
    "cli": ("bedrock_tuner_cli",),
}
ROOT_MODULES = {"bedrock_tuner": "base"}  # the package itself, not what is under it

_CORE = {"base", "models", "catalog", "adapters", "ports", "deps"}
_DOMAIN = {"datasets", "registry", "notify"}
# Layer -> the other layers it may import. A layer may always import itself.
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "models": {"base"},
    "catalog": {"base", "models"},
    "adapters": {"base", "models"},  # aws/ imports models and errors only
    "ports": {"base", "models"},
    "deps": {"base", "models", "adapters", "ports"},
    "datasets": {"base", "models", "catalog"},  # takes a DataSource: never aws/
    "registry": {"base", "models", "catalog", "ports", "deps"},
    "notify": {"base", "models", "catalog"},
    "pipeline": _CORE | _DOMAIN,
    "api": _CORE | _DOMAIN | {"pipeline"},
    "handlers": _CORE | _DOMAIN | {"pipeline", "api"},
    "localcloud": _CORE | _DOMAIN | {"pipeline", "api"},
    "cli": _CORE | _DOMAIN | {"pipeline", "api", "localcloud"},
}
# Third-party packages only some layers may import (the rest of the core reaches AWS through
# the adapters).
ONLY_IN: dict[str, set[str]] = {
    "boto3": {"adapters", "localcloud", "cli"},
    "botocore": {"adapters", "localcloud", "cli"},
    "moto": {"localcloud", "cli"},
    "samtranslator": {"localcloud", "cli"},
}
# The only imports allowed to point up, as (importer, imported): none.
EXCEPTIONS: set[tuple[str, str]] = set()


def layer_of(module: str) -> str | None:
    if module in ROOT_MODULES:
        return ROOT_MODULES[module]
    best: tuple[int, str] | None = None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), layer)
    return best[1] if best else None


@functools.cache
def _modules() -> frozenset[str]:
    return frozenset(module for module, _ in _sources())


def _sources() -> Iterator[tuple[str, Path]]:
    for root in PACKAGE_ROOTS:
        for path in sorted(root.glob("bedrock_tuner*/**/*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path
    for path in sorted(ROOT.glob("functions/*/*.py")):
        yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def imports_of(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # `from pkg import module`
                if f"{name}.{alias.name}" in _modules():
                    yield node.lineno, f"{name}.{alias.name}"


@functools.cache
def _edges() -> list[tuple[str, str, str, int]]:
    """(importer, imported, file, line) for every import of a module of ours."""
    edges = []
    for module, path in _sources():
        for line, name in imports_of(module, path):
            edges.append((module, name, str(path.relative_to(ROOT)), line))
    return edges


def test_every_module_belongs_to_a_layer() -> None:
    lost = [module for module, _ in _sources() if layer_of(module) is None]
    assert not lost, f"add these to a layer in LAYERS: {lost}"


def test_every_import_points_down() -> None:
    upward = []
    for importer, imported, file, line in _edges():
        mine, theirs = layer_of(importer), layer_of(imported)
        if theirs is None or theirs == mine or (importer, imported) in EXCEPTIONS:
            continue
        assert mine is not None
        if theirs not in MAY_IMPORT[mine]:
            upward.append(f"{file}:{line}: {importer} ({mine}) imports {imported} ({theirs})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_third_party_packages_stay_in_their_layers() -> None:
    misplaced = []
    for importer, imported, file, line in _edges():
        top = imported.split(".")[0]
        if top in ONLY_IN and layer_of(importer) not in ONLY_IN[top]:
            misplaced.append(f"{file}:{line}: {importer} imports {imported}")
    assert not misplaced, "\n".join(misplaced)


def test_the_core_never_imports_the_cli_or_the_local_cloud() -> None:
    core = set(MAY_IMPORT) - {"localcloud", "cli"}
    assert all(not {"localcloud", "cli"} & MAY_IMPORT[layer] for layer in core)
    offenders = [
        f"{file}:{line}: {importer} imports {imported}"
        for importer, imported, file, line in _edges()
        if layer_of(importer) in core
        and imported.split(".")[0] in {"bedrock_tuner_cli", "bedrock_tuner_localcloud"}
    ]
    assert not offenders


def test_the_stores_import_records_errors_and_their_table_helper_only() -> None:
    """aws/store/: each store maps ``models/`` records to items through the table helper;
    only the helper reaches the client and the AWS error codes."""
    helper = {"bedrock_tuner.aws.clients", "bedrock_tuner.aws.codes"}
    wrong = [
        f"{file}:{line}: {importer} imports {imported}"
        for importer, imported, file, line in _edges()
        if importer.startswith("bedrock_tuner.aws.store")
        and imported.startswith("bedrock_tuner")
        and not imported.startswith(("bedrock_tuner.models", "bedrock_tuner.aws.store"))
        and imported not in {"bedrock_tuner", "bedrock_tuner.errors"}
        and not (importer == "bedrock_tuner.aws.store.table" and imported in helper)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rules_point_down_and_the_exceptions_are_still_needed() -> None:
    order = list(LAYERS)
    for layer, allowed in MAY_IMPORT.items():
        above = [other for other in allowed if order.index(other) > order.index(layer)]
        assert not above, f"{layer} may import layers above it: {above}"
    edges = {(importer, imported) for importer, imported, _, _ in _edges()}
    stale = EXCEPTIONS - edges
    assert not stale, f"these imports are gone: remove them from EXCEPTIONS: {stale}"


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("bedrock_tuner", "base"),
        ("bedrock_tuner.models.payloads", "models"),
        ("bedrock_tuner.aws.s3", "adapters"),
        ("bedrock_tuner.deps", "deps"),
        ("bedrock_tuner.pipeline.runs", "pipeline"),
        ("functions.api.app", "handlers"),
        ("bedrock_tuner_cli.client.http", "cli"),
        ("bedrock_tuner_localcloud.server", "localcloud"),
        ("bedrock_tunerx", None),
    ],
)
def test_layer_of(module: str, layer: str | None) -> None:
    assert layer_of(module) == layer
