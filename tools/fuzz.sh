#!/usr/bin/env bash
# Fuzzes every input surface with libFuzzer + ASan + UBSan:
#   tools/fuzz.sh [--minutes N] [--jobs J] [--only TARGET[,TARGET...]] [--list]
# --minutes: per target (default 5); --jobs: parallel libFuzzer workers per target
# (default: all cores), so a run costs about targets x N x J CPU-minutes.
# Builds build-fuzz with clang (every target in fuzz/CMakeLists.txt), seeds each corpus from
# fuzz/seeds/<target>/ (plus the GGUF seeds, the GGUF fixtures and excerpts of the datasets
# and the default model's tokenizer when present), and keeps the corpora in
# build-fuzz/corpus/<target>/ between runs. Crashers land in build-fuzz/crashers/<target>/;
# turn each into a regression test. Prints, per target: executions, coverage (edges),
# features, corpus size, crashes. Exit 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=5; jobs=$(nproc); only=""; list=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --list) list=1; shift ;;
    *) echo "fuzz.sh: unknown flag $1 (expected --minutes, --jobs, --only or --list)" >&2; exit 2 ;;
  esac
done
build=build-fuzz
san="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYARDSTICK_CUDA=OFF \
    -DYARDSTICK_TESTS=OFF -DYARDSTICK_WERROR=OFF -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >"$build/configure.log" 2>&1 \
    || { tail -20 "$build/configure.log" >&2; echo "fuzz.sh: configure failed (clang installed? tools/setup.sh)" >&2; exit 1; }
fi
cmake --build "$build" -j "$(nproc)" --target fuzz_all >/dev/null
mapfile -t targets < "$build/fuzz/targets.txt"
if [ -n "$only" ]; then IFS=, read -r -a targets <<<"$only"; fi
if [ "$list" = 1 ]; then printf '%s\n' "${targets[@]}"; exit 0; fi

seed() {  # seed TARGET DIR: the starting inputs of a target
  local t=$1 dir=$2
  mkdir -p "$dir"
  cp -f fuzz/seeds/"$t"/* "$dir/" 2>/dev/null || true
  case "$t" in
    gguf_fuzz)
      "$build/fuzz/gguf_fuzz_seeds" "$dir" && cp -f tests/fixtures/gguf/*.gguf "$dir/" 2>/dev/null || true ;;
    datasets_fuzz)
      local data=${YARDSTICK_SHARED_DATA:-../shared/datasets} i=0 f
      for f in "$data"/mmlu/*/abstract_algebra*.csv "$data"/gsm8k/*.jsonl; do
        [ -f "$f" ] || continue
        case "$f" in *.csv) printf '\x00' ;; *) printf '\x02' ;; esac > "$dir/data$i"
        head -c 3000 "$f" >> "$dir/data$i"; i=$((i + 1))
      done ;;
    tokenizer_fuzz)
      if [ -f tests/fixtures/tokenizer/smollm2.json ]; then
        python3 - "$dir" <<'PY' 2>/dev/null || true
import json, sys
texts = json.load(open("tests/fixtures/tokenizer/smollm2.json"))
items = texts if isinstance(texts, list) else texts.get("cases", [])
for i, c in enumerate(items[:64]):
    t = c.get("text") if isinstance(c, dict) else None
    if isinstance(t, str):
        open(f"{sys.argv[1]}/fixture{i}", "wb").write(bytes([i % 256]) + t.encode())
PY
      fi ;;
  esac
}

printf '%-16s %10s %8s %8s %8s %8s %8s\n' target execs exec/s cov ft corpus crashes
status=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t (fuzz.sh --list)" >&2; exit 2; }
  corpus="$build/corpus/$t"; seeds="$build/seeds/$t"; crashers="$build/crashers/$t"; logs="$build/logs/$t"
  mkdir -p "$corpus" "$crashers" "$logs"
  rm -f "$logs"/*
  touch "$logs/.start"   # crashers newer than this are this run's (older ones stay for reference)
  seed "$t" "$seeds"
  set +e
  (cd "$logs" && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$OLDPWD/$bin" "$OLDPWD/$corpus" "$OLDPWD/$seeds" -max_total_time=$((minutes * 60)) -max_len=8192 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -artifact_prefix="$OLDPWD/$crashers/" \
    -print_final_stats=1 -jobs="$jobs" -workers="$jobs" >"fuzz.out" 2>&1)
  set -e
  execs=$(cat "$logs"/fuzz-*.log 2>/dev/null | awk -F: '/stat::number_of_executed_units/ {s += $NF} END {print s + 0}')
  rate=$(cat "$logs"/fuzz-*.log 2>/dev/null | awk -F: '/stat::average_exec_per_sec/ {s += $NF} END {print s + 0}')
  last=$(cat "$logs"/fuzz-*.log 2>/dev/null | grep -E '^#[0-9]+' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}'); ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}')
  n_corpus=$(find "$corpus" -type f | wc -l)
  n_crash=$(find "$crashers" -type f -newer "$logs/.start" | wc -l)
  printf '%-16s %10s %8s %8s %8s %8s %8s\n' "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$n_corpus" "$n_crash"
  if [ "$n_crash" -gt 0 ]; then
    status=1
    echo "  crashers: $crashers (first report below)"
    grep -h -m1 -A12 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error|deadly signal' "$logs"/fuzz-*.log | head -20
  fi
done
exit $status
