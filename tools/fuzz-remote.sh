#!/usr/bin/env bash
# Fuzz the remote-model parsers with libFuzzer + ASan + UBSan: serve's request parsing
# (serve_request_fuzz: HTTP body -> request) and the client's OpenAI response parser
# (openai_response_fuzz).
#   tools/fuzz-remote.sh [SECONDS_PER_TARGET]      (default 60)
# Builds build-fuzz with clang (as tools/fuzz-gguf.sh), starts from the committed seeds in
# fuzz/corpus/<name>/ (serve_request, openai_response) and keeps the grown corpus in build-fuzz/corpus-<target>/.
# Crashers land in build-fuzz/crashers/<target>-*; add each as a seed and fix the parser.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build=build-fuzz
san="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYARDSTICK_CUDA=OFF \
  -DYARDSTICK_TESTS=OFF -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" -j2 --target serve_request_fuzz openai_response_fuzz
mkdir -p "$build/crashers"
for t in serve_request_fuzz openai_response_fuzz; do
  corpus="$build/corpus-$t"
  mkdir -p "$corpus"
  echo "== $t: ${seconds} s"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$build/fuzz/$t" "$corpus" "fuzz/corpus/${t%_fuzz}" -max_total_time="$seconds" -max_len=8192 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -artifact_prefix="$build/crashers/$t-" \
    -print_final_stats=1
  echo "== $t: corpus $(ls "$corpus" | wc -l) files"
done
