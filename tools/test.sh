#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the normal tree and an
# AddressSanitizer+UBSan tree, and runs every test in both.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh build
tools/build.sh build-asan -DYARDSTICK_SANITIZE=ON -DYARDSTICK_CUDA=OFF -DCMAKE_BUILD_TYPE=Debug
export YARDSTICK_MODEL="$PWD/models/SmolLM2-135M-Instruct.Q4_1.gguf"
echo "== tests (release) =="
ctest --test-dir build --output-on-failure -j "$(nproc)"
echo "== tests (ASan+UBSan) =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -LE slow
