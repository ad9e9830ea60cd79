#!/usr/bin/env bash
# Issue 18's acceptance run for remote models, on the real model:
#   1. `yardstick run --suite mmlu --limit-per-subject 2` locally;
#   2. the same through `yardstick serve` on 127.0.0.1 with --model openai:URL#smollm2,
#      and a per-sample comparison of the two runs' records (must be identical);
#   3. again through a server that is killed (SIGKILL) mid-run: the run ends failed with its
#      failed documents recorded, the server restarts on the same port, `--resume` retries
#      only those, and the records must again equal the local run's.
#   tools/remote-acceptance.sh [BUILD_DIR] [EXTRA RUN ARGS...]   (default build; e.g. --limit-per-subject 1)
# Prints the timings, counts and the comparisons; exits non-zero when anything differs.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
suite_args=(--suite mmlu --limit-per-subject 2)
[ $# -gt 0 ] && suite_args=(--suite mmlu "$@")
ys="$PWD/$build/bin/yardstick"
model=${YARDSTICK_MODEL:-$PWD/models/SmolLM2-135M-Instruct.Q4_1.gguf}
data=${YARDSTICK_DATA:-}
work=$(mktemp -d /tmp/ys-remote-acceptance-XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "$data" ]; then
  data="$work/data"
  "$ys" data --data-dir "$data" import "${YARDSTICK_SHARED_DATA:-$PWD/../shared/datasets}" >/dev/null
fi
start_server() {  # port (0 = any); sets $server and $port
  rm -f "$work/port"
  "$ys" serve --model "$model" --name smollm2 --port "$1" --port-file "$work/port" >>"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
  port=$(cat "$work/port")
}
compare() {  # db_a db_b: identical sample records and metrics of their only mmlu run
  sqlite3 "$1" "ATTACH '$2' AS b;
    SELECT 'samples local ' || (SELECT COUNT(*) FROM main.samples) || ', remote ' || (SELECT COUNT(*) FROM b.samples);
    SELECT 'differing samples ' || COUNT(*) FROM main.samples s JOIN b.samples t USING (doc_id)
      WHERE s.request_json IS NOT t.request_json OR s.output_json IS NOT t.output_json OR s.target IS NOT t.target
         OR s.scores_json IS NOT t.scores_json OR s.extra_json IS NOT t.extra_json OR s.prompt_hash IS NOT t.prompt_hash;
    SELECT 'missing in remote ' || COUNT(*) FROM main.samples WHERE doc_id NOT IN (SELECT doc_id FROM b.samples);
    SELECT 'differing metrics ' || COUNT(*) FROM main.metrics m JOIN b.metrics n USING (name)
      WHERE m.value IS NOT n.value OR m.stderr IS NOT n.stderr OR m.n IS NOT n.n;
    SELECT 'local acc ' || value FROM main.metrics WHERE name = 'acc';"
  local bad
  bad=$(sqlite3 "$1" "ATTACH '$2' AS b; SELECT
      (SELECT COUNT(*) FROM main.samples) - (SELECT COUNT(*) FROM b.samples)
    + (SELECT COUNT(*) FROM main.samples s JOIN b.samples t USING (doc_id)
       WHERE s.output_json IS NOT t.output_json OR s.request_json IS NOT t.request_json OR s.scores_json IS NOT t.scores_json)
    + (SELECT COUNT(*) FROM main.metrics m JOIN b.metrics n USING (name) WHERE m.value IS NOT n.value)")
  [ "$bad" = 0 ] || { echo "FAIL: records differ"; exit 1; }
  echo "records identical"
}
echo "== local: ${suite_args[*]}"
t0=$(date +%s.%N)
"$ys" run --model "$model" --data-dir "$data" --db "$work/local.db" "${suite_args[@]}" | tail -n 4
echo "local wall $(echo "$(date +%s.%N) - $t0" | bc) s"

echo "== remote through yardstick serve"
start_server 0
spec="openai:http://127.0.0.1:$port/v1#smollm2"
t0=$(date +%s.%N)
"$ys" run --model "$spec" --data-dir "$data" --db "$work/remote.db" "${suite_args[@]}" | tail -n 4
echo "remote wall $(echo "$(date +%s.%N) - $t0" | bc) s"
compare "$work/local.db" "$work/remote.db"
sqlite3 "$work/remote.db" "SELECT name || ' ' || value FROM perf_results WHERE name LIKE 'remote_%'"
curl -s "http://127.0.0.1:$port/metrics" | grep -E "^yardstick_(requests_total|engine_batch_size_(count|sum)|prompt_tokens_total)" || true

echo "== remote, server killed mid-run, then --resume"
"$ys" run --model "$spec" --data-dir "$data" --db "$work/killed.db" --retries 2 "${suite_args[@]}" \
  >"$work/killed.log" 2>&1 &
client=$!
total=$(sqlite3 "$work/local.db" "SELECT COUNT(*) FROM samples")
for _ in $(seq 3000); do
  n=$(sqlite3 "$work/killed.db" "SELECT COUNT(*) FROM samples" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge $((total / 3)) ] && break
  sleep 0.1
done
kill -9 "$server"; wait "$server" 2>/dev/null || true; server=""
echo "killed the server with $n of $total samples stored"
rc=0; wait "$client" || rc=$?
echo "client exit status $rc; its last line:"; tail -n 1 "$work/killed.log"
run_id=$(sqlite3 "$work/killed.db" "SELECT id FROM runs")
sqlite3 "$work/killed.db" "SELECT 'status ' || status || ', samples ' || (SELECT COUNT(*) FROM samples) ||
  ', recorded failures ' || (SELECT COUNT(*) FROM sample_failures) FROM runs"
start_server "$port"
"$ys" run --resume "$run_id" --data-dir "$data" --db "$work/killed.db" | tail -n 3
sqlite3 "$work/killed.db" "SELECT 'status ' || status || ', samples ' || (SELECT COUNT(*) FROM samples) ||
  ', recorded failures ' || (SELECT COUNT(*) FROM sample_failures) FROM runs"
sqlite3 "$work/killed.db" "SELECT name || ' ' || value FROM perf_results WHERE name IN ('remote_requests', 'remote_cached_requests', 'remote_failed_requests', 'remote_retries')"
compare "$work/local.db" "$work/killed.db"
echo "== acceptance: PASS"
