#!/usr/bin/env bash
# Configures (when needed) and builds one build directory. Extra cmake args apply when
# the folder is configured (the first time, or again after a failed configure).
#   tools/build.sh [DIR] [extra cmake args...] [-- TARGET...]
# The configure step runs whenever DIR holds no generated build system (no Makefile or
# build.ninja, e.g. after a configure that failed or was interrupted), so a failed first
# run never leaves a folder that later runs cannot build. Each failure names its step.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}; shift || true
cmake_args=(); targets=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
  cmake_args+=("$1"); shift
done
jobs=$(nproc)
configured() { [ -f "$dir/CMakeCache.txt" ] && { [ -f "$dir/Makefile" ] || [ -f "$dir/build.ninja" ]; }; }
if ! configured; then
  if [ -f "$dir/CMakeCache.txt" ] && ! configured; then
    echo "build.sh: $dir holds a CMakeCache.txt but no build system (a failed or interrupted configure); configuring again" >&2
    rm -f "$dir/CMakeCache.txt"
  fi
  mkdir -p "$dir"; log="$dir/configure.log"
  if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "build.sh: step 'configure' failed for $dir (full log: $log); if a package is missing, run tools/setup.sh" >&2
    rm -f "$dir/CMakeCache.txt"
    exit 1
  fi
fi
build_cmd=(cmake --build "$dir" -j "$jobs")
[ ${#targets[@]} -gt 0 ] && build_cmd+=(--target "${targets[@]}")
if ! "${build_cmd[@]}"; then
  echo "build.sh: step 'compile' failed for $dir (${targets[*]:-all targets})" >&2
  exit 1
fi
