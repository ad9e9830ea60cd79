#!/usr/bin/env bash
# Folds the stores written by tools/run-shard.sh into one and combines each complete set
# of shard runs into one run (the suite's metrics recomputed over all samples):
#   tools/merge-shards.sh OUT.db STORE.db... [-- merge flags, e.g. --data-dir DIR]
# A store may hold every shard (YS_DB) or one each (YS_OUT/shard-I-of-N.db).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${YARDSTICK_BIN:-$(command -v yardstick || echo "$here/../build/bin/yardstick")}
[ $# -ge 2 ] || { echo "usage: merge-shards.sh OUT.db STORE.db... [-- merge flags]" >&2; exit 2; }
out=$1; shift
stores=(); extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; extra=("$@"); break; fi
  stores+=("$1"); shift
done
exec "$bin" merge "${stores[@]}" -o "$out" --combine-shards "${extra[@]}"
