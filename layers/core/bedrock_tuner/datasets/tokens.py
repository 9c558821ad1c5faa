"""Token counts for dataset validation: a fast estimator and an exact reference counter.

Bedrock does not expose the base models' tokenizers, so every number this module produces
is an *estimate of the model's own tokenizer*.  The reference is OpenAI's ``cl100k_base``
byte-level BPE, shipped in ``vocab/cl100k_base.tiktoken`` and loaded offline (Llama 3's
tokenizer extends it); counts for other model families can differ from it.

Two tools:

* :func:`estimate_tokens` -- for the validator's hot loop (every text field of every
  record).  It predicts the cl100k count from the character make-up of the text (see "How
  the estimator works") in O(1) time for ASCII text, with a mean per-record error of about
  4-5 % (``benchmarks/token_accuracy.py`` prints the current numbers per kind of text).
* :class:`ExactTokenCounter` / :func:`exact_tokens` -- the real cl100k BPE (tiktoken), a
  hundred times slower or more; use it when an estimate lands near a limit.

How the estimator works
-----------------------
BPE cost is mostly a per-character affair: lowercase letters are cheap (whole words merge
into one token), digits and punctuation cost much more, a CJK ideograph about one token,
an emoji three or four.  The estimator sums a fitted "tokens per character" weight over a
sample of the characters:

1. A systematic sample of at most :data:`SAMPLE_CHARS` (256) characters is taken with one
   strided slice, ``text[::k]``.  The stride ``k`` (:func:`sample_stride`) is prime, so
   fixed-width rows of a table or log rarely alias with it.  For ASCII text this is all the
   work there is: it reads the 256 sampled characters and never the other ``n - n/k``,
   i.e. a fraction ``1/k`` of one pass.
2. The sample is encoded to UTF-8 and mapped byte-by-byte to integer weights with
   ``bytes.translate``; ``zlib.adler32(data, 0) & 0xFFFF`` then sums those weights in C
   (the low half of Adler-32 *is* the byte sum modulo 65521, and at most 256 weighted bytes
   of at most 255 each can never reach 65521, so the sum is exact).
3. Non-ASCII text costs one full pass more, ``len(text.encode())``: its excess over the
   character count is the exact number of UTF-8 continuation bytes in the text, which is
   multiplied by the cost per continuation byte seen in the sample (accented Latin,
   Cyrillic, CJK, emoji ... are told apart by their UTF-8 lead byte).  Text in which
   accented Latin letters are at least 1 % of the characters (Spanish, French, German ...)
   also pays a per-character surcharge: its words are rarer in the vocabulary than English
   ones.

Blind spots (estimate / exact): random identifiers are under-estimated (base64 about 0.5,
UUIDs about 0.7, hex about 0.9); so are Latin-script languages written without accents,
which look like English (about 0.75), and tab-indented code (about 0.7).  Long runs of one
character (``"=" * 500``, deep space indentation) and long digit strings (2x for pure
digits) are over-estimated.  Scripts outside the evaluation corpus (Cyrillic, Arabic,
Hangul, Devanagari ...) use weights fitted on a few sentences each.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import zlib
from collections.abc import Iterable
from math import isqrt
from pathlib import Path
from typing import Final, Protocol

from bedrock_tuner.errors import BedrockTunerError, UsageError

__all__ = [
    "TOKENIZER_NOTE",
    "VOCAB_PATH",
    "VOCAB_SHA256",
    "ExactTokenCounter",
    "estimate_text_tokens_many",
    "estimate_tokens",
    "exact_tokens",
    "image_tokens_llama",
]

TOKENIZER_NOTE: Final = (
    "Token counts are estimates of the model's own tokenizer (which is not public), made "
    "with OpenAI's cl100k_base BPE as the reference tokenizer; the true count for a "
    "given model can differ by several per cent."
)

# --------------------------------------------------------------------------------------
# Estimator coefficients.
#
# Fitted with ``python benchmarks/token_accuracy.py --fit``: iteratively re-weighted least
# squares minimising the mean *absolute relative* error against exact cl100k counts, with
# non-negative weights, on 4,000 records of ``benchmarks/token_corpus.py`` (seeds 101 and
# 102, all kinds; the "other scripts" records weighted 0.3 because they are outside the
# accuracy target).  The accuracy report evaluates on a different seed.  Weights are in
# cl100k tokens per character; they are turned into 0..255 integers (``bytes.translate``
# tables) at import time with the largest weight mapped to 255.
# --------------------------------------------------------------------------------------

#: Characters of each ASCII class.  Every ASCII character not listed is ``"control"``.
ASCII_CLASS_CHARS: Final[dict[str, str]] = {
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "digit": "0123456789",
    "space": " ",
    "newline": "\n\r",
    "tab": "\t",
    "joiner": "-_",
    "stop": ".,",
    "bracket": "()[]{}<",  # "<" opens tags and merges with the name; ">" mostly stands alone
    "quote": "\"'`",
    "colon": ":",
    "operator": "=*&>",
    "mark": "#/!;?@",
    "symbol": "$%+\\|~^",
}

#: Fitted cl100k tokens per ASCII character, by class.
ASCII_TOKENS_PER_CHAR: Final[dict[str, float]] = {
    "lower": 0.189,
    "upper": 0.318,
    "digit": 0.706,
    "space": 0.174,
    "newline": 0.451,
    "tab": 0.200,  # no such text in the corpus: the prior
    "joiner": 0.074,
    "stop": 0.310,
    "bracket": 0.516,
    "quote": 0.458,
    "colon": 1.010,
    "operator": 0.381,
    "mark": 0.654,
    "symbol": 1.150,
    "control": 1.000,  # no such text in the corpus: the prior
}

#: Non-ASCII characters are classed by their UTF-8 lead byte: ``(first, last)`` inclusive.
UTF8_LEAD_CLASSES: Final[dict[str, tuple[int, int]]] = {
    "latin1_symbol": (0xC2, 0xC2),  # U+0080-00BF  nbsp ¡ « » ° © ...
    "latin1_letter": (0xC3, 0xC3),  # U+00C0-00FF  é ü ñ ß ...
    "latin_extended": (0xC4, 0xCD),  # U+0100-037F  ł č ő ş, IPA, combining marks
    "greek": (0xCE, 0xCF),  # U+0380-03FF
    "cyrillic": (0xD0, 0xD4),  # U+0400-052F
    "armenian_hebrew": (0xD5, 0xD7),  # U+0540-05FF
    "arabic": (0xD8, 0xDF),  # U+0600-07FF  Arabic, Syriac, Thaana, NKo
    "indic_thai": (0xE0, 0xE0),  # U+0800-0FFF  Devanagari ... Thai, Lao, Tibetan
    "u1000": (0xE1, 0xE1),  # U+1000-1FFF  Georgian, Khmer, Vietnamese Latin, ...
    "punctuation": (0xE2, 0xE2),  # U+2000-2FFF  “ ” — … € → ✓ ❤ box drawing
    "cjk_kana": (0xE3, 0xE3),  # U+3000-3FFF  、。「」 hiragana katakana
    "cjk_ideograph": (0xE4, 0xE9),  # U+4000-9FFF
    "hangul": (0xEA, 0xED),  # U+A000-DFFF  Hangul syllables (and Yi, surrogates)
    "fullwidth": (0xEE, 0xEF),  # U+E000-FFFF  （）！ variation selectors, private use
    "astral": (0xF0, 0xF4),  # U+10000-    emoji, rare CJK
}

#: Fitted cl100k tokens per non-ASCII character, by UTF-8 lead-byte class.
NON_ASCII_TOKENS_PER_CHAR: Final[dict[str, float]] = {
    "latin1_symbol": 1.198,
    "latin1_letter": 0.625,
    "latin_extended": 1.843,
    "greek": 1.011,
    "cyrillic": 0.533,
    "armenian_hebrew": 1.154,
    "arabic": 0.815,
    "indic_thai": 1.000,
    "u1000": 1.527,
    "punctuation": 2.089,
    "cjk_kana": 0.976,
    "cjk_ideograph": 1.159,
    "hangul": 1.259,
    "fullwidth": 1.509,
    "astral": 3.695,
}

#: Tokens per UTF-8 continuation byte when the text has non-ASCII characters but the
#: sample caught none of them (a few curly quotes, an accented name, one emoji ...).
SPARSE_TOKENS_PER_EXTRA_BYTE: Final = 0.910

#: Lead bytes of accented Latin letters (é, ß, ł, ő ...): their density flags a
#: non-English Latin-script language.
FOREIGN_LATIN_LEAD_BYTES: Final = b"\xc3\xc4\xc5"
#: Surcharge per character (all characters) for such text ...
FOREIGN_LATIN_TOKENS_PER_CHAR: Final = 0.0562
#: ... reached in full when accented letters are at least this fraction of the characters
#: (Spanish, French and German run at 1.5-3 %; English with a name like "José" at <0.1 %).
FOREIGN_LATIN_FULL_DENSITY: Final = 0.01

#: The sample never exceeds this many characters: 256 weights of at most 255 sum to less
#: than 65521, the Adler-32 modulus.  (The stride table below is built for it: ``n >> 8``.)
SAMPLE_CHARS: Final = 256


def _prime_strides(count: int) -> tuple[int, ...]:
    """``out[i]`` is the smallest prime ``>= i + 1`` for ``0 < i < count``; ``out[0] == 1``."""
    top = 2 * count + 2  # Bertrand: there is a prime in (count, 2 * count]
    sieve = bytearray([1]) * (top + 1)
    sieve[0] = sieve[1] = 0
    for i in range(2, isqrt(top) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, top + 1, i)))
    out = [1] * count
    next_prime = top
    for value in range(top, 1, -1):
        if sieve[value]:
            next_prime = value
        if value <= count:
            out[value - 1] = next_prime
    return tuple(out)


# Stride for a text of n characters: _STRIDES[n >> 8] for n < _STRIDE_TABLE_CHARS.
_STRIDE_TABLE_LEN: Final = 4096
_STRIDE_TABLE_CHARS: Final = _STRIDE_TABLE_LEN << 8  # 1 Mi characters
_STRIDES: Final = _prime_strides(_STRIDE_TABLE_LEN)


def sample_stride(n: int) -> int:
    """The stride of the estimator's sample for a text of ``n`` characters.

    ``ceil(n / stride) <= SAMPLE_CHARS`` always holds.
    """
    if n < _STRIDE_TABLE_CHARS:
        return _STRIDES[n >> 8]
    return ((n >> 8) + 1) | 1


def _ascii_class_of(byte: int) -> str:
    for name, chars in ASCII_CLASS_CHARS.items():
        if chr(byte) in chars:
            return name
    return "control"


def _lead_class_of(byte: int) -> str | None:
    for name, (first, last) in UTF8_LEAD_CLASSES.items():
        if first <= byte <= last:
            return name
    return None


def _table(weights: dict[str, float], class_of: dict[int, str | None]) -> tuple[bytes, int]:
    """A ``bytes.translate`` table of 0..255 weights and its (integer) units per token."""
    units = int(255 // max(weights.values()))
    table = bytes(
        0 if (name := class_of.get(b)) is None else round(weights[name] * units) for b in range(256)
    )
    return table, units


_ASCII_TABLE, _ASCII_UNITS = _table(
    ASCII_TOKENS_PER_CHAR, {b: _ascii_class_of(b) for b in range(128)}
)
_NON_ASCII_TABLE, _NON_ASCII_UNITS = _table(
    NON_ASCII_TOKENS_PER_CHAR, {b: _lead_class_of(b) for b in range(128, 256)}
)
_ASCII_UNITS_X2: Final = 2 * _ASCII_UNITS
# Delete everything but the accented-Latin lead bytes: len() of the result counts them.
_NOT_FOREIGN_LATIN: Final = bytes(b for b in range(256) if b not in FOREIGN_LATIN_LEAD_BYTES)
_FOREIGN_LATIN_COEF: Final = FOREIGN_LATIN_TOKENS_PER_CHAR / FOREIGN_LATIN_FULL_DENSITY

_adler32 = zlib.adler32


def estimate_tokens(text: str) -> int:
    """Estimate how many tokens the model's own tokenizer needs for ``text``.

    The estimate targets the cl100k_base BPE count, our public stand-in for the models'
    unpublished tokenizers (mean per-record error about 4-5 % on varied text; see the
    module docstring for the blind spots).  Cost for ASCII text: O(1) -- constant Python
    work plus a strided slice of at most 256 characters, whatever the length; non-ASCII
    text adds one ``text.encode()``.  Returns 0 for ``""`` and at least 1 otherwise.
    """
    n = len(text)
    if not n:
        return 0
    sample = text[:: _STRIDES[n >> 8] if n < _STRIDE_TABLE_CHARS else ((n >> 8) + 1) | 1]
    if text.isascii():
        m = len(sample)
        units = _adler32(sample.encode().translate(_ASCII_TABLE), 0) & 0xFFFF
        # round(units * n / (m * _ASCII_UNITS)) in integer arithmetic (faster than floats).
        return (units * n * 2 + m * _ASCII_UNITS) // (m * _ASCII_UNITS_X2) or 1
    return _estimate_non_ascii(text, sample, n)


def _estimate_non_ascii(text: str, sample: str, n: int) -> int:
    m = len(sample)
    raw = sample.encode("utf-8", "surrogatepass")
    est = (_adler32(raw.translate(_ASCII_TABLE), 0) & 0xFFFF) * n / (m * _ASCII_UNITS)
    extra_sample = len(raw) - m  # UTF-8 continuation bytes in the sample
    extra = extra_sample if m == n else len(text.encode("utf-8", "surrogatepass")) - n
    if extra_sample:
        # Ratio estimator: exact continuation-byte count x per-byte cost seen in the sample.
        scale = extra / extra_sample
        lead_units = _adler32(raw.translate(_NON_ASCII_TABLE), 0) & 0xFFFF
        est += lead_units * scale / _NON_ASCII_UNITS
        latin = len(raw.translate(None, _NOT_FOREIGN_LATIN)) * scale
        if latin:
            est += min(latin * _FOREIGN_LATIN_COEF, n * FOREIGN_LATIN_TOKENS_PER_CHAR)
    else:
        est += extra * SPARSE_TOKENS_PER_EXTRA_BYTE
    rounded = int(est + 0.5)
    return rounded if rounded else 1


def estimate_text_tokens_many(texts: Iterable[str]) -> int:
    """Sum of :func:`estimate_tokens` over ``texts`` (an estimate of the model's tokenizer)."""
    return sum(map(estimate_tokens, texts))


# --------------------------------------------------------------------------------------
# Exact reference counts: cl100k_base via tiktoken, from the shipped vocabulary file.
# --------------------------------------------------------------------------------------

VOCAB_PATH: Final = Path(__file__).resolve().parent / "vocab" / "cl100k_base.tiktoken"
VOCAB_SHA256: Final = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

# Public facts about cl100k_base (as published in tiktoken's openai_public registry).
_CL100K_PATTERN: Final = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++"""
    r"""[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL_TOKENS: Final = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


class _Encoder(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


_load_lock = threading.Lock()
_encoders: dict[Path, _Encoder] = {}


def _read_ranks(path: Path, expected_sha256: str | None) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` file (``base64-token rank`` per line), offline.

    Same format and result as ``tiktoken.load.load_tiktoken_bpe``, but that function
    also copies the file into a temp-dir cache (or a ``TIKTOKEN_CACHE_DIR``) -- a write
    this read-only, Lambda-hosted code has no reason to make.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BedrockTunerError(
            f"cannot read the tokenizer vocabulary {path}: {exc}",
            fix="reinstall bedrock-tuner; the vocabulary ships inside the package",
        ) from exc
    if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise BedrockTunerError(
            f"tokenizer vocabulary {path} is not the expected cl100k_base file",
            fix="reinstall bedrock-tuner; the vocabulary ships inside the package",
        )
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), 1):
        if line:
            try:
                token, rank = line.split()
                ranks[base64.b64decode(token, validate=True)] = int(rank)
            except ValueError as exc:  # binascii.Error is a ValueError
                raise BedrockTunerError(
                    f"tokenizer vocabulary {path}, line {number}: not 'base64-token rank'",
                    fix="point the counter at a .tiktoken file",
                ) from exc
    return ranks


class _CoreEncoder:
    """``encode_ordinary`` over tiktoken's core, with Encoding's handling of lone surrogates."""

    __slots__ = ("_core",)

    def __init__(self, core: _Encoder) -> None:
        self._core = core

    def encode_ordinary(self, text: str) -> list[int]:
        try:
            return self._core.encode_ordinary(text)
        except UnicodeEncodeError:
            # Lone surrogates cannot be UTF-8: replace them, as tiktoken.Encoding does.
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return self._core.encode_ordinary(text)


def _build_encoder(ranks: dict[bytes, int]) -> _Encoder:
    """tiktoken's Rust BPE core, without keeping the 17 MB Python rank dict alive.

    ``tiktoken.Encoding`` holds on to ``ranks`` for decoding, which we never do; the core
    alone is enough for ``encode_ordinary``. Falls back to ``Encoding`` if tiktoken's
    internals move (the version is pinned; a unit test exercises this path).
    """
    try:
        from tiktoken import _tiktoken  # type: ignore[attr-defined]

        core: _Encoder = _CoreEncoder(
            _tiktoken.CoreBPE(ranks, _CL100K_SPECIAL_TOKENS, _CL100K_PATTERN)
        )
    except (ImportError, AttributeError, TypeError):
        import tiktoken

        core = tiktoken.Encoding(
            name="cl100k_base",
            pat_str=_CL100K_PATTERN,
            mergeable_ranks=ranks,
            special_tokens=_CL100K_SPECIAL_TOKENS,
        )
    return core


def _load_encoder(path: Path) -> _Encoder:
    """The cl100k encoder for ``path``, built once per process (thread-safe)."""
    encoder = _encoders.get(path)
    if encoder is not None:
        return encoder
    with _load_lock:
        encoder = _encoders.get(path)
        if encoder is None:
            expected = VOCAB_SHA256 if path == VOCAB_PATH else None
            encoder = _build_encoder(_read_ranks(path, expected))
            _encoders[path] = encoder
    return encoder


class ExactTokenCounter:
    """Exact cl100k_base token counts -- still only an estimate of the model's tokenizer.

    The vocabulary (``vocab/cl100k_base.tiktoken``, checked against its SHA-256) is
    loaded on first use, once per process however many counters exist; loading is
    thread-safe and never touches the network.  Text that looks like a special token
    (``<|endoftext|>``) is counted as plain text, as if encoded with
    ``disallowed_special=()``.
    """

    __slots__ = ("_path",)

    def __init__(self, vocab_path: str | Path | None = None) -> None:
        self._path = VOCAB_PATH if vocab_path is None else Path(vocab_path).resolve()

    def load(self) -> None:
        """Load the vocabulary now (otherwise the first :meth:`count` does)."""
        _load_encoder(self._path)

    def count(self, text: str) -> int:
        """The number of cl100k_base tokens in ``text``."""
        if not text:
            return 0
        # encode_ordinary == encode(text, disallowed_special=()), slightly faster.
        return len(_load_encoder(self._path).encode_ordinary(text))


_default_counter = ExactTokenCounter()


def exact_tokens(text: str) -> int:
    """Exact cl100k_base count of ``text`` (our reference for the model's tokenizer)."""
    return _default_counter.count(text)


# --------------------------------------------------------------------------------------
# Images.
# --------------------------------------------------------------------------------------

_LLAMA_TILE_PX: Final = 560
_LLAMA_TOKENS_PER_TILE: Final = 1601  # (560/14)^2 patches + 1 class token


def image_tokens_llama(width: int, height: int) -> int:
    """Tokens a Llama 3.2 vision model spends on a ``width`` x ``height`` image (estimate).

    The image is cut into 560-px tiles, at most 2 x 2 of them, 1601 tokens each:
    ``min(2, max(H // 560, 1)) * min(2, max(W // 560, 1)) * 1601``.
    """
    if width <= 0 or height <= 0:
        raise UsageError(f"image size must be positive, got {width}x{height}")
    rows = min(2, max(height // _LLAMA_TILE_PX, 1))
    cols = min(2, max(width // _LLAMA_TILE_PX, 1))
    return rows * cols * _LLAMA_TOKENS_PER_TILE
