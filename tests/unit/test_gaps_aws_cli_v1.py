"""Every AWS CLI line the project prints or documents runs under AWS CLI v1 as well as v2 (issue 7,
finding 8): `--cli-binary-format` exists only in v2 (v1 stops with "Unknown options"), and a
`--payload` read with `file://` is taken as base64 by v2 unless that option is given. `fileb://`
passes the bytes as they are on both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".md", ".txt", ".html", ".toml", ".cfg"}
PACKAGES = (
    ROOT / "layers" / "core" / "bedrock_tuner",
    ROOT / "cli" / "bedrock_tuner_cli",
    ROOT / "localcloud" / "bedrock_tuner_localcloud",
    ROOT / "functions",
)
PAYLOAD_FROM_FILE = re.compile(r"--payload\s+file://")


def docs_and_package_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted(package.rglob("*")):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and "__pycache__" not in path.parts:
                yield path
    yield from sorted((ROOT / "docs").glob("*.md"))
    yield ROOT / "README.md"
    yield ROOT / "template.yaml"
    yield ROOT / "Makefile"


def hits(pattern: re.Pattern[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in docs_and_package_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = [
            f"{number}: {line.strip()[:120]}"
            for number, line in enumerate(text.splitlines(), 1)
            if pattern.search(line)
        ]
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    return found


def test_the_scan_covers_the_docs_and_every_package() -> None:
    scanned = {str(path.relative_to(ROOT)) for path in docs_and_package_files()}
    assert "docs/deploy.md" in scanned
    for package in PACKAGES:
        assert any(name.startswith(str(package.relative_to(ROOT)) + "/") for name in scanned)


def test_no_doc_or_package_file_prints_the_v2_only_binary_format_option() -> None:
    assert not hits(re.compile(r"--cli-binary-format")), "AWS CLI v1 has no --cli-binary-format"


def test_no_doc_or_package_file_passes_a_payload_v2_would_read_as_base64() -> None:
    assert not hits(PAYLOAD_FROM_FILE), "use --payload fileb://FILE (same bytes on v1 and v2)"


def test_the_deploy_page_replays_a_dead_letter_with_fileb() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    invokes = re.findall(r"aws lambda invoke(?:[^\n]*\\\n)*[^\n]*", text)
    with_payload = [command for command in invokes if "--payload" in command]
    assert with_payload, invokes
    assert all("--payload fileb://" in command for command in with_payload), with_payload
