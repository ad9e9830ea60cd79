#!/usr/bin/env bash
# Fuzz the GGUF reader with libFuzzer + ASan + UBSan.
#   tools/fuzz-gguf.sh [SECONDS]      (default 60; env FUZZ_JOBS for parallel workers)
# Builds build-fuzz with clang, writes a seed corpus with gguf_fuzz_seeds, then runs
# gguf_fuzz for a bounded time. Crashers land in build-fuzz/crashers/; turn each into a
# regression test (copy it into tests/fixtures/gguf/ and it is parsed by tests/gguf).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build=build-fuzz
san="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYARDSTICK_CUDA=OFF \
  -DYARDSTICK_TESTS=OFF -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" -j2 --target gguf_fuzz gguf_fuzz_seeds
corpus="$build/corpus"
mkdir -p "$corpus" "$build/crashers"
"$build/fuzz/gguf_fuzz_seeds" "$build/seeds"
# Fixtures committed as regression inputs are seeds too.
cp -f tests/fixtures/gguf/*.gguf "$build/seeds/" 2>/dev/null || true
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/fuzz/gguf_fuzz" "$corpus" "$build/seeds" -max_total_time="$seconds" -max_len=4096 \
  -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -artifact_prefix="$build/crashers/" \
  -print_final_stats=1
