"""Swagger UI as a person sees it: headless Chromium renders the page the local cloud serves,
a screenshot is taken, and the rendered page shows the API's title and every route."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bedrock_tuner_localcloud.server import LocalCloud

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_swagger_ui_renders_the_title_and_every_route(
    cloud: LocalCloud, needs_handlers: None, tmp_path: Path
) -> None:
    url = cloud.api_url + "/docs"
    # When a browser opens Swagger UI (no network: its assets are served inline)
    shot = tmp_path / "swagger.png"
    result = chromium(tmp_path, "--window-size=1280,2400", f"--screenshot={shot}", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000, "the screenshot looks blank"
    # Then the rendered page shows the API's title and every documented route
    dom = chromium(tmp_path, "--dump-dom", url).stdout
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    titles = re.findall(r'class="title"[^>]*>([^<]+)', dom)
    assert titles and titles[0].strip() == document["info"]["title"]
    rendered = set(re.findall(r'data-path="([^"]+)"', dom))
    assert rendered == set(document["paths"]), set(document["paths"]) ^ rendered
