#!/usr/bin/env bash
# Imports ../shared/datasets (or $YARDSTICK_SHARED_DATA) into the data dir when present,
# skipping the work when the data dir already verifies.   tools/import-data.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin/yardstick}
src=${YARDSTICK_SHARED_DATA:-../shared/datasets}
if [ ! -d "$src" ]; then
  echo "import-data: $src not found; import data later with \`yardstick data import DIR\`" >&2
  exit 0
fi
if "$bin" data verify >/dev/null 2>&1; then
  exit 0
fi
"$bin" data import "$src"
