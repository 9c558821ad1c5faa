"""Token counting: the fast estimator against exact cl100k counts, the exact counter, images."""

from __future__ import annotations

import importlib.util
import json
import math
import socket
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

from bedrock_tuner.datasets import tokens
from bedrock_tuner.datasets.tokens import (
    TOKENIZER_NOTE,
    ExactTokenCounter,
    estimate_text_tokens_many,
    estimate_tokens,
    exact_tokens,
    image_tokens_llama,
)
from bedrock_tuner.errors import BedrockTunerError, UsageError

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_benchmark(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (the directory is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def counter() -> ExactTokenCounter:
    c = ExactTokenCounter()
    c.load()
    return c


# --------------------------------------------------------------------------------------
# Fixed samples of each kind of text (written for these tests).
# --------------------------------------------------------------------------------------

PROSE = (
    "The harbour town wakes up slowly in winter. Fishing boats leave before dawn, the "
    "bakery lights its ovens at five, and by eight the only sound on the main street is "
    "the scrape of a shopkeeper clearing ice from the pavement. Visitors who arrive in "
    "January often say the place feels abandoned, but the people who live there would "
    "describe it differently: it is simply resting. In spring the ferry timetable doubles, "
    "the cafes put their tables back outside, and the harbour fills with sailing boats "
    "from the islands. Most residents prefer the quiet months, when they can walk the "
    "cliff path without meeting anyone and the library is warm, empty and open late."
)

DIALOGUE = (
    "User: I keep getting a timeout when my script uploads large files. What should I check?\n"
    "Assistant: Start with the obvious suspects. First, confirm the timeout value your client "
    "uses; many libraries default to thirty or sixty seconds, which is too short for a large "
    "upload on a slow link. Second, check whether a proxy sits between you and the server, "
    "because proxies often impose their own limits. Third, consider uploading in parts so "
    "that each request stays small.\n"
    "User: It's a multipart upload already. Could the part size matter?\n"
    "Assistant: Yes. Very small parts mean many requests and more overhead, while very "
    "large parts make each request slower and more likely to hit the timeout. Something "
    "between eight and sixty-four megabytes is a sensible starting point."
)

CODE = '''\
import dataclasses
from collections import defaultdict


@dataclasses.dataclass
class Invoice:
    customer_id: str
    amount_cents: int
    paid: bool = False


def outstanding_by_customer(invoices: list[Invoice]) -> dict[str, int]:
    """Sum the unpaid amounts per customer, largest first."""
    totals: dict[str, int] = defaultdict(int)
    for invoice in invoices:
        if not invoice.paid:
            totals[invoice.customer_id] += invoice.amount_cents
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


if __name__ == "__main__":
    sample = [Invoice("c-17", 1250), Invoice("c-17", 990, paid=True), Invoice("c-03", 4000)]
    print(outstanding_by_customer(sample))
'''

JSON_MARKUP = json.dumps(
    {
        "order_id": "ord-2024-000871",
        "customer": {"name": "Ana Souza", "email": "ana@example.com", "tier": "gold"},
        "items": [
            {"sku": "BTL-750-STEEL", "qty": 2, "unit_price": 24.5, "tags": ["bottle", "steel"]},
            {"sku": "CAP-SPORT-BLK", "qty": 1, "unit_price": 6.0, "tags": ["accessory"]},
        ],
        "shipping": {"method": "express", "address": "12 Quay Street, Galway", "eta_days": 2},
        "notes": "Leave the parcel with the neighbour if nobody answers.",
        "paid": True,
    },
    indent=2,
) + (
    '\n<section class="summary">\n  <h2>Order summary</h2>\n'
    "  <p>Two items, express shipping, paid by card.</p>\n</section>\n"
)

NUMBERS = "\n".join(
    [
        "date,region,orders,revenue,avg_basket,returns_pct",
        "2024-03-01,north,1204,48211.50,40.04,2.1",
        "2024-03-01,south,987,35120.75,35.58,1.7",
        "2024-03-02,north,1311,52876.10,40.33,2.4",
        "2024-03-02,south,1042,37904.00,36.38,1.9",
        "2024-03-03,north,1189,47002.35,39.53,2.0",
        "2024-03-03,south,1013,36410.80,35.94,1.6",
        "2024-05-17T09:12:44.201Z INFO worker-3 GET /api/v1/orders/88123 200 14.2ms 5321B",
        "2024-05-17T09:12:44.377Z WARN worker-1 POST /api/v1/payments 429 3.9ms 212B",
        "2024-05-17T09:12:45.002Z INFO worker-3 GET /api/v1/orders/88124 200 12.8ms 5118B",
        "2024-05-17T09:12:45.918Z ERROR worker-2 POST /api/v1/refunds 500 811.0ms 96B",
    ]
)

SPANISH = (
    "Mañana por la mañana saldremos temprano hacia la sierra. Si el tiempo lo permite, "
    "subiremos hasta el refugio y comeremos allí; si llueve, visitaremos el museo del "
    "pueblo, que tiene una colección muy curiosa de herramientas antiguas. ¿Te apetece "
    "venir con nosotros? Avísame antes del jueves para reservar una plaza más en el coche."
)

FRENCH = (
    "Le comité a examiné les propositions reçues cette année et en a retenu trois. La "
    "première concerne la rénovation de la salle des fêtes, la deuxième l'aménagement "
    "d'une piste cyclable le long du canal, et la troisième la création d'un jardin "
    "partagé derrière l'école. Les habitants pourront voter en ligne jusqu'à la fin du mois."
)

GERMAN = (
    "Die Stadtverwaltung hat angekündigt, dass die Brücke über den Fluss im kommenden "
    "Frühjahr für sechs Wochen gesperrt wird. Während der Bauarbeiten fahren die Busse "
    "eine Umleitung über die Nordstraße, und für Radfahrer wird eine provisorische Fähre "
    "eingerichtet. Anwohner können ihre Fragen bei einer Informationsveranstaltung stellen."
)

CHINESE = (
    "我们公司下个月将搬到新的办公楼。新办公室离地铁站只有五分钟的步行距离，"
    "会议室也比现在多了一倍。搬家期间，部分系统可能会暂停服务，请大家提前保存好"
    "重要文件。如果有任何问题，请联系行政部门，我们会尽快为大家解答。"
) * 2

JAPANESE = (
    "来月から社内の勉強会を毎週水曜日の夕方に開くことになりました。最初のテーマは"
    "データの整理と可視化です。参加は自由ですが、資料を準備する都合上、前日までに"
    "申し込んでください。オンラインでも参加できるので、在宅勤務の方もぜひどうぞ。"
) * 2

EMOJI = "\n".join(
    [
        "[Maya] finally shipped the new onboarding flow 🚀🎉",
        "[Tom] nice!! the signup numbers already look better 📈",
        "[Maya] thanks 🙏 took way longer than planned though 😅",
        "[Priya] coffee to celebrate? ☕️ I'm buying",
        "[Tom] yes please 👍🏽 meet at the usual place in 10?",
        "[Maya] on my way 🏃‍♀️ save me a seat ❤️",
        "[Priya] the team lunch is on Friday btw 🍕 don't forget 🗓️",
    ]
)

# (name, text, allowed relative error).  Code, markup and numbers are the hard cases; Chinese
# runs from 1.0 to 1.2 tokens per character depending on how common its words are.
SAMPLES = [
    ("prose", PROSE, 0.12),
    ("dialogue", DIALOGUE, 0.12),
    ("code", CODE, 0.25),
    ("json_markup", JSON_MARKUP, 0.25),
    ("numbers", NUMBERS, 0.20),
    ("spanish", SPANISH, 0.15),
    ("french", FRENCH, 0.15),
    ("german", GERMAN, 0.15),
    ("chinese", CHINESE, 0.15),
    ("japanese", JAPANESE, 0.15),
    ("emoji", EMOJI, 0.15),
]


@pytest.mark.parametrize(("name", "text", "tolerance"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_estimate_within_tolerance_of_exact(
    counter: ExactTokenCounter, name: str, text: str, tolerance: float
) -> None:
    exact = counter.count(text)
    estimate = estimate_tokens(text)
    assert exact > 0
    assert abs(estimate / exact - 1) <= tolerance, (name, estimate, exact)


def test_estimate_of_concatenated_kinds(counter: ExactTokenCounter) -> None:
    text = "\n\n".join(text for _, text, _ in SAMPLES)
    assert abs(estimate_tokens(text) / counter.count(text) - 1) <= 0.10


def test_mean_error_on_generated_mini_corpus(counter: ExactTokenCounter) -> None:
    corpus = _load_benchmark("token_corpus")
    records = corpus.build_corpus(450, seed=424242)
    errors = [abs(estimate_tokens(r.text) / counter.count(r.text) - 1) for r in records]
    assert len({r.kind for r in records}) == len(corpus.KINDS)
    assert sum(errors) / len(errors) <= 0.065


def test_mini_corpus_is_deterministic_and_sized() -> None:
    corpus = _load_benchmark("token_corpus")
    first = corpus.build_corpus(60, seed=5)
    assert first == corpus.build_corpus(60, seed=5)
    generated_only = corpus.build_corpus(60, seed=5, kinds=corpus.ALL_KINDS, use_stdlib=False)
    for rec in first + generated_only:
        assert corpus.MIN_CHARS <= len(rec.text) <= corpus.MAX_CHARS, rec.kind


# --------------------------------------------------------------------------------------
# Estimator mechanics.
# --------------------------------------------------------------------------------------


def test_empty_and_tiny_strings() -> None:
    assert estimate_tokens("") == 0
    assert exact_tokens("") == 0
    assert estimate_text_tokens_many([]) == 0
    assert estimate_tokens("a") == 1
    assert estimate_tokens("\n") == 1
    assert estimate_tokens("é") >= 1
    assert estimate_tokens("hello world") == 2


def test_many_is_the_sum() -> None:
    texts = [PROSE, CODE, CHINESE, EMOJI, ""]
    assert estimate_text_tokens_many(texts) == sum(estimate_tokens(t) for t in texts)
    assert estimate_text_tokens_many(iter(texts)) == sum(estimate_tokens(t) for t in texts)


def test_lone_surrogates_do_not_raise() -> None:
    text = "broken \ud800 surrogate " * 30
    assert estimate_tokens(text) > 0
    assert exact_tokens(text) > 0


def test_special_token_text_counts_as_plain_text(counter: ExactTokenCounter) -> None:
    import tiktoken

    ranks = tokens._read_ranks(tokens.VOCAB_PATH, tokens.VOCAB_SHA256)
    encoder = tiktoken.Encoding(
        name="cl100k_reference",
        pat_str=tokens._CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=tokens._CL100K_SPECIAL_TOKENS,
    )
    for special in tokens._CL100K_SPECIAL_TOKENS:
        text = f"before {special} after"
        n = counter.count(text)
        assert n == len(encoder.encode(text, disallowed_special=()))
        assert n > 3  # as one special token it would be "before", the token, " after"
        assert estimate_tokens(text) > 0


def test_sample_stride_bounds_the_sample() -> None:
    for n in [*range(1, 3000), 2**20 - 1, 2**20, 2**20 + 1, 10**7 + 3, 2**30 + 255]:
        stride = tokens.sample_stride(n)
        assert math.ceil(n / stride) <= tokens.SAMPLE_CHARS, n
        if 256 <= n < 2**20:
            assert all(stride % d for d in range(2, math.isqrt(stride) + 1)), (n, stride)
    # Adler-32's low half is the byte sum mod 65521: the sum must stay below it.
    assert tokens.SAMPLE_CHARS * 255 < 65521


def test_tables_implement_the_fitted_model() -> None:
    """``estimate_tokens`` (integer tables) == the float model the fitter optimises."""
    _load_benchmark("token_corpus")
    accuracy = _load_benchmark("token_accuracy")
    weights = {
        **{f"ascii:{k}": v for k, v in tokens.ASCII_TOKENS_PER_CHAR.items()},
        **{f"lead:{k}": v for k, v in tokens.NON_ASCII_TOKENS_PER_CHAR.items()},
        "sparse": tokens.SPARSE_TOKENS_PER_EXTRA_BYTE,
        "foreign_latin": tokens.FOREIGN_LATIN_TOKENS_PER_CHAR,
    }
    texts = [text for _, text, _ in SAMPLES]
    texts += [PROSE * 9, PROSE + "“quoted”", CHINESE * 20, "Привет, мир! " * 40]
    for text in texts:
        model = sum(
            v * weights[name]
            for name, v in zip(accuracy.FEATURES, accuracy.features(text), strict=True)
        )
        assert abs(estimate_tokens(text) - model) <= 1 + 0.02 * model, text[:40]


def test_ascii_cost_does_not_grow_with_length() -> None:
    """O(1) for ASCII: a 4 MB string costs about what a 2 KB one does (not a full pass)."""
    big = "The quick brown fox jumps over the lazy dog, 12 times. " * 80_000
    small = big[:2048]

    def per_call(text: str) -> float:
        best = math.inf
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(200):
                estimate_tokens(text)
            best = min(best, (time.perf_counter() - start) / 200)
        return best

    # A full pass over 4.4 MB takes milliseconds; the sample takes about a microsecond.
    assert per_call(big) < 20 * per_call(small) + 20e-6


# --------------------------------------------------------------------------------------
# Exact counter.
# --------------------------------------------------------------------------------------


def test_known_cl100k_encodings(counter: ExactTokenCounter) -> None:
    encoder = tokens._load_encoder(tokens.VOCAB_PATH)
    assert encoder.encode_ordinary("hello world") == [15339, 1917]
    assert encoder.encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert counter.count("hello world") == 2
    assert exact_tokens("hello world") == 2


def test_vocab_loads_without_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access is disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    cache = tmp_path / "tiktoken-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(tokens, "_encoders", {})  # force a fresh load
    assert ExactTokenCounter().count("hello world") == 2
    assert not cache.exists()  # nothing copied into tiktoken's download cache


def test_vocab_is_loaded_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_encoders", {})
    calls = []
    real_read = tokens._read_ranks

    def counting_read(path: Path, expected: str | None) -> dict[bytes, int]:
        calls.append(path)
        return real_read(path, expected)

    monkeypatch.setattr(tokens, "_read_ranks", counting_read)
    barrier = threading.Barrier(8)
    results: list[int] = []

    def work() -> None:
        barrier.wait()
        results.append(ExactTokenCounter().count(PROSE))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 8 and len(set(results)) == 1


def test_wrong_or_broken_vocab_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tokens, "_encoders", {})
    monkeypatch.setattr(tokens, "VOCAB_SHA256", "0" * 64)
    with pytest.raises(BedrockTunerError, match="not the expected cl100k_base"):
        ExactTokenCounter().count("x")
    broken = tmp_path / "broken.tiktoken"
    broken.write_bytes(b"IQ== 0\nnot a vocabulary line\n")
    with pytest.raises(BedrockTunerError, match="line 2"):
        ExactTokenCounter(broken).count("x")
    with pytest.raises(BedrockTunerError, match="cannot read"):
        ExactTokenCounter(tmp_path / "missing.tiktoken").count("x")


def test_tokenizer_note_says_estimate() -> None:
    assert "estimate" in TOKENIZER_NOTE
    assert "cl100k_base" in TOKENIZER_NOTE


# --------------------------------------------------------------------------------------
# Images.
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1, 1, 1601),
        (559, 559, 1601),
        (560, 560, 1601),
        (1119, 1119, 1601),
        (1120, 560, 3202),
        (560, 1120, 3202),
        (1120, 1120, 6404),
        (4000, 300, 3202),
        (8000, 8000, 6404),
    ],
)
def test_image_tokens_llama(width: int, height: int, expected: int) -> None:
    assert image_tokens_llama(width, height) == expected


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (-5, 100)])
def test_image_tokens_llama_rejects_empty_images(width: int, height: int) -> None:
    with pytest.raises(UsageError):
        image_tokens_llama(width, height)


def test_core_encoder_matches_tiktoken_encoding_on_varied_text() -> None:
    # Given the lean core encoder the counter uses, and tiktoken's public Encoding
    import tiktoken

    encoder = tiktoken.Encoding(
        name="cl100k_reference",
        pat_str=tokens._CL100K_PATTERN,
        mergeable_ranks=tokens._read_ranks(tokens.VOCAB_PATH, tokens.VOCAB_SHA256),
        special_tokens=tokens._CL100K_SPECIAL_TOKENS,
    )
    lean = tokens._load_encoder(tokens.VOCAB_PATH)
    # Then both tokenize every kind of text identically
    for text in (PROSE, CODE, CHINESE, EMOJI, "  leading spaces\n\n\ttabs 12345678"):
        assert lean.encode_ordinary(text) == encoder.encode_ordinary(text)
