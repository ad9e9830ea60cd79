#!/usr/bin/env bash
# CPU results must not move when the engine's internals change (issue 16): runs a fixed set
# of small evaluations on the real model (MMLU, GSM8K, HumanEval, WMT and the quant suite)
# at batch sizes 1 and 8 and 1 and 2 threads, dumps every stored sample record (all
# columns but the run id and the creation time) and compares each configuration's dump
# byte for byte with tests/fixtures/parity/records.tsv.
#   tools/parity-records.sh [--capture] [--bin build/bin/yardstick] [--out DIR]
#   tools/parity-records.sh --dump DB
# --capture writes the fixture from the first configuration instead of comparing (run it
# on the commit whose results are the reference, and commit the file with a message that
# names that commit). Needs the default model and ../shared/datasets (imported into
# OUT/data on the first run). A few minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/yardstick
out=/tmp/ys-parity
capture=0
dump_db=""
while [ $# -gt 0 ]; do
  case "$1" in
    --capture) capture=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --dump) dump_db=$2; shift 2 ;;
    *) echo "parity-records: unknown flag $1 (expected --capture, --bin, --out or --dump)" >&2; exit 2 ;;
  esac
done
dump() {  # DB -> records on stdout, one JSON object per sample and line, ordered by suite and document
  sqlite3 -json "$1" \
    "SELECT r.suite, s.doc_id, s.prompt_hash, s.request_json, s.output_json, s.target, s.scores_json, s.extra_json
     FROM samples s JOIN runs r ON r.id = s.run_id ORDER BY r.suite, s.doc_id" |
    sed -e 's/^\[//' -e 's/,$//' -e 's/\]$//' -E -e 's/\\"wall_s\\":[-+0-9.eE]+/\\"wall_s\\":null/g'
}
if [ -n "$dump_db" ]; then dump "$dump_db"; exit 0; fi
model=${YARDSTICK_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
src=${YARDSTICK_SHARED_DATA:-../shared/datasets}
fixture=tests/fixtures/parity/records.jsonl
[ -f "$model" ] || { echo "parity-records: model $model not found (tools/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$out"
data="$out/data"
"$bin" data --data-dir "$data" verify >/dev/null 2>&1 || "$bin" data --data-dir "$data" import "$src" >/dev/null

# Every suite of the product, small limits; the same arguments for every configuration.
suites=(
  "--suite mmlu --limit 24"
  "--suite gsm8k --limit 4"
  "--suite humaneval --limit 3"
  "--suite wmt16-ro-en --limit 4"
  "--suite quant --limit 4"
)
configs=("1 1" "1 8" "2 1" "2 8")
[ "$capture" = 1 ] && configs=("2 8")
status=0
for c in "${configs[@]}"; do
  read -r threads batch <<<"$c"
  db="$out/t${threads}-b${batch}.db"
  rm -f "$db" "$db-wal" "$db-shm"
  : >"$out/t${threads}-b${batch}.log"
  start=$(date +%s.%N)
  for s in "${suites[@]}"; do
    # shellcheck disable=SC2086
    "$bin" run --model "$model" --db "$db" --data-dir "$data" --threads "$threads" --batch-size "$batch" \
      --seed 1234 --tag parity $s >>"$out/t${threads}-b${batch}.log" 2>&1 ||
      { echo "parity-records: run failed ($s, threads $threads, batch $batch): see $out/t${threads}-b${batch}.log" >&2; exit 1; }
  done
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  dump "$db" >"$out/t${threads}-b${batch}.jsonl"
  n=$(wc -l <"$out/t${threads}-b${batch}.jsonl")
  if [ "$capture" = 1 ]; then
    mkdir -p "$(dirname "$fixture")"
    cp "$out/t${threads}-b${batch}.jsonl" "$fixture"
    echo "parity-records: captured $n records (threads $threads, batch $batch, ${secs}s) into $fixture"
  elif cmp -s "$out/t${threads}-b${batch}.jsonl" "$fixture"; then
    echo "parity-records: threads $threads batch $batch: $n records identical to the fixture (${secs}s)"
  else
    echo "parity-records: threads $threads batch $batch: records DIFFER from $fixture:" >&2
    diff "$fixture" "$out/t${threads}-b${batch}.jsonl" | cut -c1-300 | head -20 >&2 || true
    status=1
  fi
done
exit $status
