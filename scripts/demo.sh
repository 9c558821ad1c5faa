#!/usr/bin/env bash
# `make demo-validate`: validate the bundled samples — one passing, one failing — then estimate cost.
set -uo pipefail
cd "$(dirname "$0")/.."
BT=".venv/bin/bedrock-tuner"
NOVA="amazon.nova-lite-v1:0:300k"
# Bold headings only on a terminal, and never with NO_COLOR set (https://no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR+x}" ]; then BOLD=$'\033[1m' RESET=$'\033[0m'; else BOLD='' RESET=''; fi
hr() { printf '\n%s== %s ==%s\n' "$BOLD" "$1" "$RESET"; }

hr "1/4  A clean Nova Lite conversation dataset (expect VALID, exit 0)"
$BT validate examples/datasets/support-chat.nova.jsonl --model "$NOVA" -p epochCount=2
rc=$?; echo "exit code: $rc"; [ "$rc" -eq 0 ] || { echo "demo: expected exit 0"; exit 1; }

hr "2/4  The same data with typical mistakes (expect INVALID, exit 1)"
$BT validate examples/datasets/support-chat.broken.jsonl --model "$NOVA" --max-examples 2
rc=$?; echo "exit code: $rc"; [ "$rc" -eq 1 ] || { echo "demo: expected exit 1"; exit 1; }

hr "3/4  The failing report as JSON (first problems), for pipelines and scripts"
$BT validate examples/datasets/support-chat.broken.jsonl --model "$NOVA" --json --max-examples 1 \
  | .venv/bin/python -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"summary": r["summary"], "problems": [{k: p[k] for k in ("code","count","fix")} for p in r["problems"][:4]]}, indent=2, ensure_ascii=False))'

hr "4/4  Cost and break-even of fine-tuning Titan Text Express on 60 records"
$BT estimate examples/datasets/titan.prompt-completion.jsonl --model amazon.titan-text-express-v1:0:8k \
  -p epochCount=3 --saved-prompt-tokens 1200 --requests-per-month 200000 --input-price-per-1k 0.0002
rc=$?; [ "$rc" -eq 0 ] || { echo "demo: estimate failed"; exit 1; }
echo
echo "demo finished: see README.md for the CLI, the report format and the benchmarks."
