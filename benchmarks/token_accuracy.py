"""Accuracy and speed of the token estimator against exact cl100k_base counts.

    PYTHONPATH=layers/core python benchmarks/token_accuracy.py [--records N] [--seed S] [--json]
    PYTHONPATH=layers/core python benchmarks/token_accuracy.py --fit

The report builds the offline corpus of ``token_corpus.py`` (seed 20240601 by default,
which the coefficients were *not* fitted on), counts every record exactly with the
shipped cl100k vocabulary and with ``estimate_tokens``, and prints per kind of text:
records, mean / p95 / max absolute % error, bias (signed mean % error) and the 1st
percentile of estimate/exact (how far an estimate can sit below the true count; the
0.1th is in the JSON).  It also times the estimator (whole corpus; 2 KB slices of ASCII,
European and CJK text), the exact counter and the vocabulary load.  Runs in a few
seconds.

``--fit`` re-fits the estimator's coefficients (pure Python; prints constants to paste
into ``bedrock_tuner/datasets/tokens.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

try:
    from bedrock_tuner.datasets import tokens
except ImportError:  # not on PYTHONPATH: use the checkout this script lives in
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "core"))
    from bedrock_tuner.datasets import tokens

import token_corpus as corpus

FIT_SEEDS = (101, 102)
FIT_RECORDS_PER_SEED = 2000
OTHER_WEIGHT = 0.3  # fit weight of the records outside the accuracy target
SPEED_KINDS = ("ascii", "european", "cjk")


# --------------------------------------------------------------------------------------
# Statistics.
# --------------------------------------------------------------------------------------


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(errors: Sequence[float]) -> dict[str, float]:
    """``errors`` are relative (estimate / exact - 1)."""
    absolute = sorted(abs(e) for e in errors)
    signed = sorted(errors)
    n = len(errors)
    return {
        "records": n,
        "mean_abs_pct": 100 * sum(absolute) / n,
        "p95_abs_pct": 100 * _quantile(absolute, 0.95),
        "max_abs_pct": 100 * absolute[-1],
        "bias_pct": 100 * sum(errors) / n,
        # estimate / exact at the 1st percentile: 99 % of records have estimate >= this
        # fraction of their true count.
        "p1_est_over_exact": 1 + _quantile(signed, 0.01),
        "p0.1_est_over_exact": 1 + _quantile(signed, 0.001),
    }


# --------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------


def _time_call(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _slices_2kb(records: Sequence[corpus.Record], kind: str, count: int = 2000) -> list[str]:
    """2048-character slices of the corpus: ``kind`` is "ascii" or a corpus kind."""
    pieces: list[str] = []
    for rec in records:
        text = rec.text
        if (kind == "ascii" and text.isascii()) or rec.kind == kind:
            pieces.extend(text[i : i + 2048] for i in range(0, len(text) - 2047, 2048))
    if not pieces:  # pragma: no cover - the corpus always has these kinds
        pieces = ["The quick brown fox jumps over the lazy dog. " * 46]
    return (pieces * (count // len(pieces) + 1))[:count]


def _throughput(texts: Sequence[str]) -> tuple[float, float]:
    """(MB/s of UTF-8, ns per call) of estimate_tokens over ``texts``, best of 9."""
    seconds = _time_call(lambda: sum(map(tokens.estimate_tokens, texts)), repeat=9)
    size = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    return size / seconds / 1e6, seconds / len(texts) * 1e9


def run_report(n_records: int, seed: int) -> dict[str, object]:
    t0 = time.perf_counter()
    records = corpus.build_corpus(n_records, seed, kinds=corpus.ALL_KINDS)
    build_s = time.perf_counter() - t0

    counter = tokens.ExactTokenCounter()
    t0 = time.perf_counter()
    counter.load()
    load_s = time.perf_counter() - t0

    texts = [r.text for r in records]
    utf8_mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6

    t0 = time.perf_counter()
    exact = [counter.count(t) for t in texts]
    exact_s = time.perf_counter() - t0

    estimate = [tokens.estimate_tokens(t) for t in texts]
    est_s = _time_call(lambda: [tokens.estimate_tokens(t) for t in texts])

    speed_2kb = {kind: _throughput(_slices_2kb(records, kind)) for kind in SPEED_KINDS}

    by_kind: dict[str, list[float]] = defaultdict(list)
    for rec, e, x in zip(records, estimate, exact, strict=True):
        by_kind[rec.kind].append(e / x - 1)
    target = [err for kind in corpus.KINDS for err in by_kind[kind]]
    kinds = {kind: summarize(by_kind[kind]) for kind in corpus.ALL_KINDS if by_kind[kind]}
    return {
        "corpus": {"records": len(records), "seed": seed, "utf8_mb": utf8_mb, "build_s": build_s},
        "tokenizer_note": tokens.TOKENIZER_NOTE,
        "kinds": kinds,
        "overall": summarize(target),
        "overall_kinds": list(corpus.KINDS),
        "speed": {
            "estimator_corpus_mb_s": utf8_mb / est_s,
            **{f"estimator_2kb_{k}_mb_s": v[0] for k, v in speed_2kb.items()},
            **{f"estimator_2kb_{k}_ns_per_call": v[1] for k, v in speed_2kb.items()},
            "exact_corpus_mb_s": utf8_mb / exact_s,
            "vocab_load_s": load_s,
        },
    }


def print_report(report: dict[str, object]) -> None:
    kinds = report["kinds"]
    overall = report["overall"]
    speed = report["speed"]
    info = report["corpus"]
    assert isinstance(kinds, dict) and isinstance(overall, dict)
    assert isinstance(speed, dict) and isinstance(info, dict)
    print(
        f"corpus: {info['records']} records, seed {info['seed']}, "
        f"{info['utf8_mb']:.1f} MB UTF-8 (built in {info['build_s']:.1f} s)"
    )
    print(f"reference: exact cl100k_base counts. {report['tokenizer_note']}\n")
    header = (
        f"{'kind':<16}{'records':>8}{'mean|e|%':>10}{'p95|e|%':>9}{'max|e|%':>9}"
        f"{'bias%':>8}{'p1 est/exact':>14}"
    )
    print(header)
    print("-" * len(header))

    def row(name: str, s: dict[str, float]) -> None:
        print(
            f"{name:<16}{s['records']:>8}{s['mean_abs_pct']:>10.2f}{s['p95_abs_pct']:>9.1f}"
            f"{s['max_abs_pct']:>9.1f}{s['bias_pct']:>+8.2f}{s['p1_est_over_exact']:>14.3f}"
        )

    for name in corpus.KINDS:
        if name in kinds:
            row(name, kinds[name])
    print("-" * len(header))
    row("OVERALL", overall)
    others = [k for k in corpus.OTHER_KINDS if k in kinds]
    if others:
        print("-" * len(header))
        for name in others:
            row(f"{name}*", kinds[name])
        print("* outside the accuracy target, not in OVERALL")
    print()
    print(f"estimator, whole corpus:    {speed['estimator_corpus_mb_s']:8.0f} MB/s (UTF-8 bytes)")
    for kind in SPEED_KINDS:
        label = f"estimator, 2 KB {kind}:"
        print(
            f"{label:<28}{speed[f'estimator_2kb_{kind}_mb_s']:8.0f} MB/s "
            f"({speed[f'estimator_2kb_{kind}_ns_per_call']:.0f} ns per call)"
        )
    print(f"exact (tiktoken), corpus:   {speed['exact_corpus_mb_s']:8.1f} MB/s")
    print(
        f"vocabulary load:            {speed['vocab_load_s'] * 1000:8.0f} ms (incl. tiktoken import)"
    )
    print(
        f"\nestimate >= {overall['p0.1_est_over_exact']:.2f} x exact for 99.9 % of records, "
        f">= {overall['p1_est_over_exact']:.2f} x for 99 %"
    )


# --------------------------------------------------------------------------------------
# Fitting (pure Python: IRLS for least mean absolute relative error, non-negative).
# --------------------------------------------------------------------------------------

ASCII_NAMES = [*tokens.ASCII_CLASS_CHARS, "control"]
LEAD_NAMES = list(tokens.UTF8_LEAD_CLASSES)
FEATURES = [
    *(f"ascii:{n}" for n in ASCII_NAMES),
    *(f"lead:{n}" for n in LEAD_NAMES),
    "sparse",
    "foreign_latin",
]
_ASCII_OF = {b: tokens._ascii_class_of(b) for b in range(128)}
_LEAD_OF = {b: tokens._lead_class_of(b) for b in range(128, 256)}
_FOREIGN = set(tokens.FOREIGN_LATIN_LEAD_BYTES)

# Starting points / ridge targets, tokens per character (or per extra byte for "sparse").
PRIORS = {
    **dict.fromkeys(FEATURES, 1.0),
    "ascii:lower": 0.19,
    "ascii:upper": 0.33,
    "ascii:digit": 0.7,
    "ascii:space": 0.17,
    "ascii:newline": 0.4,
    "ascii:tab": 0.2,
    "ascii:joiner": 0.1,
    "ascii:stop": 0.4,
    "ascii:bracket": 0.4,
    "ascii:quote": 0.5,
    "ascii:colon": 0.9,
    "ascii:operator": 0.5,
    "lead:latin1_letter": 0.7,
    "lead:cyrillic": 0.55,
    "lead:cjk_ideograph": 1.15,
    "lead:cjk_kana": 1.0,
    "lead:punctuation": 1.5,
    "lead:astral": 3.0,
    "sparse": 0.8,
    "foreign_latin": 0.05,
}
RIDGE = 1e-4  # per record, relative to the data term


def features(text: str) -> list[float]:
    """The estimator's model as a linear function of ``FEATURES`` (float weights)."""
    f = dict.fromkeys(FEATURES, 0.0)
    n = len(text)
    if not n:
        return [0.0] * len(FEATURES)
    sample = text[:: tokens.sample_stride(n)]
    m = len(sample)
    raw = sample.encode("utf-8", "surrogatepass")
    counts = Counter(raw)
    for byte, c in counts.items():
        if byte < 128:
            f[f"ascii:{_ASCII_OF[byte]}"] += c * n / m
    if not text.isascii():
        extra_sample = len(raw) - m
        extra = len(text.encode("utf-8", "surrogatepass")) - n
        if extra_sample:
            scale = extra / extra_sample
            for byte, c in counts.items():
                name = _LEAD_OF.get(byte)
                if name is not None:
                    f[f"lead:{name}"] += c * scale
            latin = sum(counts[b] for b in _FOREIGN) * scale
            f["foreign_latin"] = min(latin / tokens.FOREIGN_LATIN_FULL_DENSITY, n)
        else:
            f["sparse"] = extra
    return [f[name] for name in FEATURES]


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (small dense systems)."""
    size = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        for r in range(col + 1, size):
            factor = a[r][col] / p
            if factor:
                row, top = a[r], a[col]
                for c in range(col, size + 1):
                    row[c] -= factor * top[c]
    out = [0.0] * size
    for r in range(size - 1, -1, -1):
        acc = a[r][size] - sum(a[r][c] * out[c] for c in range(r + 1, size))
        out[r] = acc / a[r][r]
    return out


def fit(rows: Sequence[tuple[list[float], int, float]], iterations: int = 30) -> dict[str, float]:
    """IRLS: minimise sum(weight * |x.w / y - 1|), ridge towards PRIORS, w >= 0."""
    k = len(FEATURES)
    prior = [PRIORS[name] for name in FEATURES]
    # Relative design: each row divided by its exact count; sparse (index, value) lists.
    design = [
        ([(i, v / y) for i, v in enumerate(x) if v], weight) for x, y, weight in rows if y > 0
    ]
    ridge = RIDGE * len(design)
    active = set(range(k))
    w = prior[:]
    for _ in range(iterations):
        gram = [[0.0] * k for _ in range(k)]
        rhs = [0.0] * k
        for sparse_row, weight in design:
            pred = sum(v * w[i] for i, v in sparse_row)
            irls = weight / max(abs(pred - 1), 0.005) ** 0.5
            for i, vi in sparse_row:
                s = irls * vi
                rhs[i] += s
                gi = gram[i]
                for j, vj in sparse_row:
                    gi[j] += s * vj
        for i in range(k):
            gram[i][i] += ridge
            rhs[i] += ridge * prior[i]
        while True:  # non-negativity: pin negative weights to zero and re-solve
            idx = sorted(active)
            sub = _solve([[gram[i][j] for j in idx] for i in idx], [rhs[i] for i in idx])
            negative = [i for i, v in zip(idx, sub, strict=True) if v < 0]
            if not negative:
                break
            active -= set(negative)
        w = [0.0] * k
        for i, v in zip(idx, sub, strict=True):
            w[i] = v
        active = set(range(k))
    return dict(zip(FEATURES, w, strict=True))


def run_fit() -> None:
    counter = tokens.ExactTokenCounter()
    rows: list[tuple[list[float], int, float]] = []
    for seed in FIT_SEEDS:
        for rec in corpus.build_corpus(FIT_RECORDS_PER_SEED, seed, kinds=corpus.ALL_KINDS):
            weight = OTHER_WEIGHT if rec.kind in corpus.OTHER_KINDS else 1.0
            rows.append((features(rec.text), counter.count(rec.text), weight))
    w = fit(rows)
    seen = {name for x, _, _ in rows for name, v in zip(FEATURES, x, strict=True) if v}

    def line(key: str, name: str) -> str:
        note = "" if key in seen else "  # no such text in the corpus: the prior"
        return f'    "{name}": {w[key]:.3f},{note}'

    err = [sum(a * b for a, b in zip(x, w.values(), strict=True)) / y - 1 for x, y, _ in rows]
    print(
        f"# fitted on {len(rows)} records (seeds {FIT_SEEDS}); training mean |err| "
        f"{100 * sum(map(abs, err)) / len(err):.2f} % (all kinds)"
    )
    print("ASCII_TOKENS_PER_CHAR: Final[dict[str, float]] = {")
    for name in ASCII_NAMES:
        print(line(f"ascii:{name}", name))
    print("}")
    print("NON_ASCII_TOKENS_PER_CHAR: Final[dict[str, float]] = {")
    for name in LEAD_NAMES:
        print(line(f"lead:{name}", name))
    print("}")
    print(f"SPARSE_TOKENS_PER_EXTRA_BYTE: Final = {w['sparse']:.3f}")
    print(f"FOREIGN_LATIN_TOKENS_PER_CHAR: Final = {w['foreign_latin']:.4f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus seed")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--fit", action="store_true", help="re-fit the estimator coefficients")
    args = parser.parse_args(argv)
    if args.records < len(corpus.ALL_KINDS):
        parser.error(f"--records must be at least {len(corpus.ALL_KINDS)} (one per kind)")
    if args.fit:
        run_fit()
        return 0
    report = run_report(args.records, args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
