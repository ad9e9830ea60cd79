#!/usr/bin/env bash
# Builds (here, on the CPU machine) an optimized tree with the CUDA backend and gathers what
# one GPU device call needs into gpu-bundle/ (git-ignored through .git/info/exclude).
# RelWithDebInfo (-O2): GCC 12 at -O3 trips -Werror=restrict false positives elsewhere; the
# copies are stripped of debug info. Contents:
#   yardstick, test_cuda, ys_cuda_check  + every non-system shared library they load,
# linked with an $ORIGIN rpath (DT_RPATH, so it also covers the libraries' own needs),
# and data/ (the MMLU files, imported and verified).
# Not carried: glibc/libstdc++/libgcc (the GPU box's Ubuntu 24.04 ones are newer) and the
# CUDA libraries (the box has CUDA 13 in /usr/local/cuda/lib64). Must stay under 64 MiB.
#   tools/gpu-bundle.sh            # then: run(carry=["gpu-bundle"], command="tools/gpu-check.sh")
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${YS_BUNDLE_BUILD:-build-gpu-bundle}
DEST=gpu-bundle
LIMIT=$((64 * 1024 * 1024))

exclude_file=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude_file")"
grep -qxF "/$DEST/" "$exclude_file" 2>/dev/null || echo "/$DEST/" >>"$exclude_file"

cmake -S . -B "$BUILD" -DYARDSTICK_CUDA=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYARDSTICK_TESTS=ON \
  '-DCMAKE_BUILD_RPATH=$ORIGIN' '-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags' >/dev/null
cmake --build "$BUILD" -j"${YS_JOBS:-2}" --target yardstick test_cuda ys_cuda_check

rm -rf "$DEST"
mkdir -p "$DEST"
bins=("$BUILD/bin/yardstick" "$BUILD/tests/cuda/test_cuda" "$BUILD/bin/ys_cuda_check")
for b in "${bins[@]}"; do
  [[ -x "$b" ]] || { echo "gpu-bundle: missing $b (build failed?)" >&2; exit 1; }
  cp "$b" "$DEST/"
  strip --strip-debug "$DEST/$(basename "$b")" || true
done

# System libraries the box provides itself (newer glibc/libstdc++; its own CUDA 13).
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libgcc_s|libstdc\+\+|libcuda\.so|libcudart|libcublas|libnvidia)'
for b in "${bins[@]}"; do
  ldd "$b" | awk '/=>/ && $3 ~ /^\// {print $3}'
done | sort -u | while read -r lib; do
  name=$(basename "$lib")
  if [[ "$name" =~ $skip ]]; then continue; fi
  cp -L "$lib" "$DEST/$name"
  strip --strip-unneeded "$DEST/$name" 2>/dev/null || true
done

# The MMLU files for gpu-check's issue-16 run and thread-scaling slices (7.3 MB), verified
# against the manifest by the import; the other benchmarks stay behind (size).
src=${YARDSTICK_SHARED_DATA:-../shared/datasets}
if [[ -d "$src/mmlu" ]]; then
  tmp=$(mktemp -d)
  cp -r "$src/mmlu" "$tmp/mmlu"
  "$DEST/yardstick" data --data-dir "$DEST/data" import "$tmp" >/dev/null
  rm -rf "$tmp"
else
  echo "gpu-bundle: $src/mmlu not found: gpu-check's MMLU steps will fail" >&2
fi

size=$(du -sb "$DEST" | cut -f1)
echo "gpu-bundle: $(ls "$DEST" | wc -l) files, $((size / 1024 / 1024)) MiB in $DEST/"
ls -la "$DEST"
if ((size > LIMIT)); then
  echo "gpu-bundle: $size bytes exceeds the 64 MiB carry limit" >&2
  exit 1
fi
