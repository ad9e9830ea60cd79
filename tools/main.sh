#!/usr/bin/env bash
# The front door: set up what is missing, build the yardstick binary (the tests are built by
# tools/test.sh), then a short default sweep on the default model (SmolLM2-135M-Instruct
# Q4_1): one MMLU question from each of the 57 subjects, GSM8K, HumanEval and WMT subsets
# and the engine benchmark, all stored in results.db, then the HTML report, which opens with
# each score, its 95% interval and how far the sample is from a full run.
#   tools/main.sh [--model M] [--db results.db] [--out reports-out]
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
db=results.db
out=reports-out
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "main.sh: unknown flag $1 (expected --model, --db or --out)" >&2; exit 2 ;;
  esac
done
tools/setup.sh
echo "== building the yardstick binary (first time: several minutes) =="
tools/build.sh build -- yardstick >/dev/null
y=build/bin/yardstick
tools/import-data.sh "$y"
tag="quickstart-$(date -u +%Y%m%dT%H%M%S)"
common=(--model "$model" --db "$db" --tag "$tag")
echo "== evaluating $model (tag $tag) =="
"$y" run "${common[@]}" --suite mmlu --limit-per-subject 1
"$y" run "${common[@]}" --suite gsm8k --limit 3
"$y" run "${common[@]}" --suite humaneval --limit 3
"$y" run "${common[@]}" --suite wmt16-ro-en --limit 10
echo "== engine benchmark =="
"$y" bench engine --model "$model" --db "$db" --tag "$tag" -p 128 -n 32 --repetitions 3
mkdir -p "$out"
"$y" report --db "$db" --format html -o "$out/report.html"
"$y" report --db "$db" --format md -o "$out/report.md"
# The summary table for the terminal, without Markdown's escapes (Q4\_1, \[a, b\], &lt;).
sed -n '/^| suite /,/^$/p' "$out/report.md" |
  sed -e 's/\\\([][_*`|]\)/\1/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
echo
echo "Report: $out/report.html (Markdown: $out/report.md); runs: $y list --db $db"
