#!/usr/bin/env bash
# Renders `yardstick report` (HTML) of a result store and screenshots it with headless
# Chromium, to check the layout by eye (desktop and phone widths).
#   tools/screenshot-report.sh [--db results.db] [--out DIR] [--bin build/bin/yardstick]
#                              [--compare "RUN_ID RUN_ID..."] [--demo]
# --compare also renders `yardstick compare --by quant` of those runs (DIR/compare.html).
# --demo first fills DIR/demo.db with small runs of a synthetic model (one MMLU question per
# subject at four quantizations on 1 or 2 threads, compared), so there is something to draw.
set -euo pipefail
cd "$(dirname "$0")/.."

db=results.db; out=build/screenshots; bin=""; demo=0; compare=""; data_dir=${YARDSTICK_DATA:-data}
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --compare) compare="$2"; shift 2 ;;
    --demo) demo=1; shift ;;
    *) echo "screenshot-report.sh: unknown flag $1 (expected --db, --out, --bin, --compare, --demo)" >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ]; then
  for b in build/bin/yardstick build-*/bin/yardstick; do [ -x "$b" ] && { bin="$b"; break; }; done
fi
[ -x "$bin" ] || { echo "screenshot-report.sh: no yardstick binary (pass --bin)" >&2; exit 1; }
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "screenshot-report.sh: chromium is not installed (tools/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$demo" = 1 ]; then
  db="$out/demo.db"; rm -f "$db" "$db"-wal "$db"-shm; data_dir="$out/data"
  shared=${YARDSTICK_SHARED_DATA:-../shared/datasets}
  "$bin" synth --arch llama --layers 2 --dim 64 --heads 4 --kv-heads 2 --ffn 128 --vocab 512 --type f32 -o "$out/demo.gguf" >/dev/null
  [ -d "$out/data/mmlu" ] || "$bin" data --data-dir "$out/data" import "$shared" >/dev/null
  t=1
  for q in f32 q8_0 q4_1 q4_0; do
    "$bin" run --model "$out/demo.gguf" --quant "$q" --threads "$t" --suite mmlu --limit-per-subject 1 \
      --data-dir "$out/data" --db "$db" --tag "demo-$q-t$t" >/dev/null
    t=$((3 - t))
  done
  compare=$("$bin" list --db "$db" --json | grep -o '"id": "[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
fi
if [ -n "$compare" ]; then
  # shellcheck disable=SC2086
  "$bin" compare $compare --db "$db" --by quant --allow-mismatch --format html -o "$out/compare.html"
fi

"$bin" report --db "$db" --data-dir "$data_dir" --format html -o "$out/report.html"
flags="--headless --disable-gpu --no-sandbox --hide-scrollbars"
for page in report compare; do
  [ -f "$out/$page.html" ] || continue
  "$chromium" $flags --window-size=1200,3000 --screenshot="$out/$page.png" "file://$out/$page.html" >/dev/null 2>&1
  "$chromium" $flags --window-size=390,2400 --screenshot="$out/$page-phone.png" "file://$out/$page.html" >/dev/null 2>&1
  echo "$out/$page.png $out/$page-phone.png"
done
