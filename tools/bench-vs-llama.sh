#!/usr/bin/env bash
# Side-by-side engine throughput: `yardstick bench engine` and llama.cpp on the same GGUF
# with the same thread count, one after the other, then the ratio table.
#   tools/bench-vs-llama.sh [--llama-bench PATH] [--model M] [--threads N] [-p 512] [-n 128]
#                           [--repetitions R] [--quant T] [--activations "f32 int8"] [--build DIR]
# Yardstick runs once per activation precision listed (default both: f32 is the exact
# default, int8 quantizes activations as llama.cpp does).
# llama.cpp is measured by the given llama-bench binary, else (when llama_cpp imports in
# /opt/ysdev/bin/python or $PYTHON) by tools/llama_cpp_bench.py; else only Yardstick runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
acts="f32 int8" llama_bench="" model="$here/models/SmolLM2-135M-Instruct.Q4_1.gguf" threads=2 p=512 n=128 reps=5 quant=""
build="${YS_BUILD_DIR:-$here/build}"
python="${PYTHON:-/opt/ysdev/bin/python}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --llama-bench) llama_bench="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -p) p="$2"; shift 2 ;;
    -n) n="$2"; shift 2 ;;
    --repetitions) reps="$2"; shift 2 ;;
    --quant) quant="$2"; shift 2 ;;
    --activations) acts="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "bench-vs-llama.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
ys="$build/bin/yardstick"
[[ -x "$ys" ]] || { echo "bench-vs-llama.sh: $ys not found (build first, or pass --build DIR)" >&2; exit 1; }
[[ -f "$model" ]] || { echo "bench-vs-llama.sh: model '$model' not found" >&2; exit 1; }
if [[ -n "$quant" && -z "$llama_bench" ]]; then
  echo "note: --quant re-quantizes only inside Yardstick; llama.cpp runs the file as is" >&2
fi

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
qflag=(); [[ -n "$quant" ]] && qflag=(--quant "$quant")
declare -A ys_pp ys_tg
for a in $acts; do
  ys_out="$("$ys" bench engine --model "$model" --threads "$threads" -p "$p" -n "$n" --repetitions "$reps" \
            --activations "$a" "${qflag[@]}" --no-store 2>/dev/null)"
  echo "$ys_out"
  ys_pp[$a]="$(awk -F'|' -v t="pp$p" '$7 ~ t {split($8, a, " "); print a[1]}' <<<"$ys_out")"
  ys_tg[$a]="$(awk -F'|' -v t="tg$n" '$7 ~ t {split($8, a, " "); print a[1]}' <<<"$ys_out")"
done

ll_pp="" ll_tg="" who=""
if [[ -n "$llama_bench" ]]; then
  who="llama-bench"
  out="$("$llama_bench" -m "$model" -t "$threads" -p "$p" -n "$n" -r "$reps" -o csv 2>/dev/null)"
  ll_pp="$(awk -F, -v p="$p" 'NR>1 && $0 ~ "\"" p "\",\"0\"" {gsub(/"/, "", $(NF-1)); v=$(NF-1)} END {print v}' <<<"$out")"
  ll_tg="$(awk -F, -v n="$n" 'NR>1 && $0 ~ "\"0\",\"" n "\"" {gsub(/"/, "", $(NF-1)); v=$(NF-1)} END {print v}' <<<"$out")"
elif "$python" -c "import llama_cpp" 2>/dev/null; then
  who="llama-cpp-python $("$python" -c 'import llama_cpp; print(llama_cpp.__version__)')"
  js="$("$python" "$here/tools/llama_cpp_bench.py" --model "$model" --threads "$threads" -p "$p" -n "$n" \
        --repetitions "$reps" --json 2>/dev/null | tail -1)"
  ll_pp="$("$python" -c "import json,sys; print(json.loads(sys.argv[1]).get('pp$p',{}).get('median',''))" "$js")"
  ll_tg="$("$python" -c "import json,sys; print(json.loads(sys.argv[1]).get('tg$n',{}).get('median',''))" "$js")"
else
  echo "no llama-bench given and llama_cpp does not import: Yardstick only"
  exit 0
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2fx", a / b }'; }
echo
echo "| test | activations | yardstick t/s | llama.cpp t/s ($who) | ratio |"
echo "|---|---|---|---|---|"
for a in $acts; do
  printf "| pp%s | %s | %s | %.2f | %s |\n" "$p" "$a" "${ys_pp[$a]}" "${ll_pp:-0}" "$(ratio "${ys_pp[$a]}" "$ll_pp")"
  printf "| tg%s | %s | %s | %.2f | %s |\n" "$n" "$a" "${ys_tg[$a]}" "${ll_tg:-0}" "$(ratio "${ys_tg[$a]}" "$ll_tg")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
