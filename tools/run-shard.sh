#!/usr/bin/env bash
# One shard of a sharded evaluation, as a scheduler's array task runs it:
#   tools/run-shard.sh [yardstick run flags...]
# The shard index comes from the scheduler:
#   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) and YS_SHARDS (the Job's completions)
#   Slurm job array:        SLURM_ARRAY_TASK_ID (from SLURM_ARRAY_TASK_MIN, default 1) and
#                           SLURM_ARRAY_TASK_COUNT (or YS_SHARDS)
#   by hand:                YS_SHARD (1-based) and YS_SHARDS
# Results: YS_DB when set (one store that every shard writes to: a local disk or a file
# system with working POSIX locks), else YS_OUT/shard-I-of-N.db (one store per shard, on a
# shared volume or collected afterwards). Then `tools/merge-shards.sh` folds them into one run.
# The yardstick binary: YARDSTICK_BIN, else `yardstick` on PATH, else build/bin/yardstick.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${YARDSTICK_BIN:-$(command -v yardstick || echo "$here/../build/bin/yardstick")}
n=${YS_SHARDS:-${SLURM_ARRAY_TASK_COUNT:-}}
if [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  i=$(( JOB_COMPLETION_INDEX + 1 ))
elif [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  i=$(( SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1 ))
else
  i=${YS_SHARD:-}
fi
if [ -z "$i" ] || [ -z "$n" ]; then
  echo "run-shard: no shard index/count: set JOB_COMPLETION_INDEX+YS_SHARDS (Kubernetes)," \
       "SLURM_ARRAY_TASK_ID+SLURM_ARRAY_TASK_COUNT (Slurm) or YS_SHARD+YS_SHARDS" >&2
  exit 2
fi
if [ -n "${YS_DB:-}" ]; then
  db=$YS_DB
else
  out=${YS_OUT:-shards}
  mkdir -p "$out"
  db="$out/shard-$i-of-$n.db"
fi
echo "run-shard: shard $i/$n -> $db" >&2
exec "$bin" run "$@" --shard "$i/$n" --db "$db"
