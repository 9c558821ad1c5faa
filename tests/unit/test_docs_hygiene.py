"""What users see cites public pages, never the project's internal notes or a machine path
(issue 7, finding 4): the package's files, the docs, the README, the OpenAPI document and the
output of `catalog`, `catalog --model`, `estimate` and `validate`. Catalog sources are public
URLs with the date each was read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bedrock_tuner.catalog import CustomizationType, TypeSupport, load_catalog, type_support
from bedrock_tuner_cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "core" / "bedrock_tuner"
README = ROOT / "README.md"
SAMPLE_MODEL = "amazon.nova-lite-v1:0:300k"

# Internal research notes and paths that exist only on the machines the project is built on.
INTERNAL = re.compile(
    r"BEDROCK_FACTS|(?<![\w-])DESIGN\.md|(?<![\w}])/work/|(?<![\w-])shared/|"
    r"(?<![\w.:/}$-])/(?:home|Users|root|mnt|srv|opt)/\w"
)
PUBLIC_HOSTS = ("docs.aws.amazon.com", "aws.amazon.com")
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".md", ".txt", ".html", ".toml", ".cfg"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def shipped_text_files() -> Iterator[Path]:
    """Every text file of the packages (the Lambda layer and the wheels), the docs, the README."""
    for package in (
        PACKAGE,
        ROOT / "cli/bedrock_tuner_cli",
        ROOT / "localcloud/bedrock_tuner_localcloud",
    ):
        for path in sorted(package.rglob("*")):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and "__pycache__" not in path.parts:
                yield path
    yield from sorted((ROOT / "docs").glob("*.md"))
    yield README
    yield ROOT / "docs" / "openapi.json"


def internal_mentions(text: str) -> list[str]:
    return [
        f"{number}: {line.strip()[:120]}"
        for number, line in enumerate(text.splitlines(), 1)
        if INTERNAL.search(line)
    ]


def is_public_url(text: str) -> bool:
    parsed = urlparse(text)
    return parsed.scheme == "https" and parsed.hostname in PUBLIC_HOSTS


def test_no_shipped_file_cites_internal_notes_or_a_machine_path() -> None:
    found = {
        str(path.relative_to(ROOT)): hits
        for path in shipped_text_files()
        if (hits := internal_mentions(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert not found, found


def test_no_cli_output_cites_internal_notes_or_a_machine_path(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    outputs: dict[str, str] = {}
    commands: list[tuple[str, ...]] = [("catalog",), ("catalog", "--json")]
    commands += [("catalog", "--model", model.id) for model in load_catalog().models]
    commands += [
        ("estimate", "examples/datasets/titan.prompt-completion.jsonl", "--model", model_id)
        for model_id in ("amazon.titan-text-express-v1:0:8k", "amazon.nova-2-lite-v1:0:256k")
    ]
    commands.append(("estimate", "--model", SAMPLE_MODEL, "--tokens", "1000", "--json"))
    commands.append(
        (
            "validate",
            "examples/datasets/support-chat.broken.jsonl",
            "--model",
            SAMPLE_MODEL,
            "--no-progress",
        )
    )
    for argv in commands:
        code, out, err = run(capsys, *argv)
        assert code in (0, 1), (argv, err)
        outputs[" ".join(argv)] = out + err
    found = {name: hits for name, text in outputs.items() if (hits := internal_mentions(text))}
    assert not found, found


def test_every_catalog_source_is_a_public_url_with_the_date_it_was_read() -> None:
    catalog = load_catalog()
    for model in catalog.models:
        assert model.sources, model.id
        for source in model.sources:
            assert is_public_url(source.url), (model.id, source)
            assert date.fromisoformat(source.read_on) <= date.fromisoformat(catalog.read_on)
        assert model.price is not None, model.id
        price_source = model.price.source
        urls = re.findall(r"https://\S+?(?=[\s;),]|$)", price_source)
        assert urls and all(is_public_url(url) for url in urls), (model.id, price_source)
        if not price_source.startswith("https://"):
            # Without a page that shows the figure, say so rather than cite one.
            assert price_source.startswith(("unverified", "not recorded")), (model.id, price_source)
        if price_source.startswith("not recorded"):
            assert model.price.training_per_1k_tokens is None, model.id


def test_catalog_model_shows_each_source_url_with_its_read_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = next(m for m in load_catalog().models if m.id == SAMPLE_MODEL)
    code, out, _ = run(capsys, "catalog", "--model", SAMPLE_MODEL)
    assert code == 0
    for source in model.sources:
        assert f"{source.url} (read {source.read_on})" in out


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("sources: [bedrock/latest/userguide/custom-model-fine-tuning.html]", "sources[0]"),
        ('sources: [{url: "bedrock/x.html", read_on: "2026-12-07"}]', "sources[0].url"),
        ('sources: [{url: "https://docs.aws.amazon.com/x.html", read_on: "Dec 7"}]', "read_on"),
    ],
)
def test_an_override_source_needs_a_public_url_and_the_day_it_was_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, entry: str, field: str
) -> None:
    override = tmp_path / "sources.yaml"
    override.write_text(f"models:\n  - id: {SAMPLE_MODEL}\n    {entry}\n")
    code, _, err = run(capsys, "catalog", "--catalog", str(override), "--model", SAMPLE_MODEL)
    assert code == 2
    first, fix = err.splitlines()[:2]
    assert first.startswith("error [BT_CATALOG]:") and field in first
    assert fix.startswith("fix:") and ("https://" in fix or "YYYY-MM-DD" in fix)


# ------------------------------------------------------ facts re-read on 2026-12-07


def test_facts_rechecked_on_their_pages_match_them() -> None:
    """Where a page cited with today's date said something else, the catalog follows it."""
    catalog = load_catalog()

    def support(model_id: str, kind: str = "FINE_TUNING") -> TypeSupport:
        model = next(m for m in catalog.models if m.id == model_id)
        return type_support(model, CustomizationType(kind))

    def ranges(item: TypeSupport) -> dict[str, tuple[float | None, float | None, str | None]]:
        return {hp.name: (hp.min, hp.max, hp.default) for hp in item.hyperparameters}

    # cm-hp-cohere-command.html: batchSize 8 (Command) or 8-32 (Light), patience, eval share.
    command = ranges(support("cohere.command-text-v14:7:4k"))
    light = ranges(support("cohere.command-light-text-v14:7:4k"))
    assert command["batchSize"] == (8, 8, "8") and light["batchSize"] == (8, 32, "8")
    for table in (command, light):
        assert table["earlyStoppingPatience"] == (1, 10, "6")
        assert table["evalPercentage"] == (5, 50, "20")
    # model-training-validation-requirements.html: 10 GB for continued pre-training, 1 GB FT.
    for model_id in ("amazon.titan-text-express-v1:0:8k", "amazon.titan-text-lite-v1:0:4k"):
        assert support(model_id, "CONTINUED_PRE_TRAINING").limits.train_file_max_bytes == 10**10
        assert support(model_id).limits.train_file_max_bytes == 10**9
    # nova-2-sft-data-prep.html: SFT takes PNG, JPEG, GIF images and MOV, MKV, MP4 videos.
    media = support("amazon.nova-2-lite-v1:0:256k").limits.media
    assert set(media.image_formats) == {"png", "jpeg", "gif"}
    assert set(media.video_formats) == {"mov", "mkv", "mp4"}
