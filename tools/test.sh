#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the normal tree and an
# AddressSanitizer+UBSan tree, and runs every test in both. The sanitizer tree runs the
# same tests on synthetic models and fixtures; the real-model checks (seconds in the
# release tree, many minutes at -O0 under ASan) run in the release tree only.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
tools/setup.sh --gemma
tools/build.sh build
tools/build.sh build-asan -DYARDSTICK_SANITIZE=ON -DYARDSTICK_CUDA=OFF -DCMAKE_BUILD_TYPE=Debug
export YARDSTICK_SHARED_DATA=${YARDSTICK_SHARED_DATA:-$PWD/../shared/datasets}
echo "== tests (release) =="
YARDSTICK_MODEL="$PWD/models/SmolLM2-135M-Instruct.Q4_1.gguf" \
  ctest --test-dir build --output-on-failure -j "$(nproc)"
echo "== tests (ASan+UBSan, real model skipped) =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  YARDSTICK_MODEL=/nonexistent/skip-real-model-under-asan.gguf \
  YARDSTICK_GEMMA_MODEL=/nonexistent/skip-real-model-under-asan.gguf \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
echo "== all tests passed in $(( $(date +%s) - start )) s =="
