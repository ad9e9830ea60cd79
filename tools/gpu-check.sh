#!/usr/bin/env bash
# What ONE device call runs (after tools/gpu-bundle.sh here):
#   run(carry=["gpu-bundle"], timeout_s=560, command="tools/gpu-check.sh")
# The whole script keeps to a deadline (YS_GPU_DEADLINE_S, default 520 s after its start):
# each step runs under `timeout -k 5` with the smaller of its own limit and the time left,
# and a step that no longer fits is skipped (listed as such). Steps, most important first:
#  1. nvidia-smi, device facts, the CUDA tests (kernels vs CPU, models vs the CPU engine,
#     the CPU-vs-CUDA scheduling counts of the shared runtime);
#  2. issue 16: `yardstick run --device cuda --suite mmlu --limit-per-subject 10` on a
#     Llama-3-8B-shape Q4_0 model (wall time, tokens/s, the runtime's reuse counts through
#     YS_RUNTIME_STATS=1) next to the CPU engine's counts on the same documents (a 1-layer
#     model with the same vocabulary and the same KV block budget: the counts depend only
#     on the tokens and the budget, not on the weights);
#  3. CPU thread scaling on the box's 16 cores: `bench engine` (pp512, tg128) and an MMLU
#     slice (24 documents of one subject: its few-shot prefix once, then the questions
#     batched) on a SmolLM2-shape Q4_1 model at 1, 2, 4, 8, 16 threads;
#  4. the older measurements: ceilings (copy, cuBLAS GEMM), CUDA-vs-CPU logprobs, pp512 /
#     tg128 / one 32-token step, the cost of --deterministic, the default mode's batch drift.
# A summary table is printed last. Without a GPU (or with --dry-run) it prints which steps
# were skipped and exits 0. --cpu-only runs just the steps that need no GPU (the CPU counts
# of step 2 and the thread scaling of step 3), e.g. here to try the script:
#   YS_YARDSTICK=build/bin/yardstick YS_GPU_DATA=/tmp/data tools/gpu-check.sh --cpu-only Logs and results go to $OUT (else /tmp): gpu-check.log (every
# step's output), results.txt (RESULT lines), summary.txt (the table).
# Env: YS_GPU_CHECK_FULL=1 also times the Llama-3-8B shape at F16 (16 GB, slower to make);
# YS_GPU_THREADS (default "1 2 4 8 16") the thread counts of step 3.
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${YS_BUNDLE:-gpu-bundle}
RESDIR=${OUT:-/tmp/ys-gpu-check}
MODELS=${YS_GPU_MODELS:-/tmp/ys-gpu-models}
DEADLINE=$(($(date +%s) + ${YS_GPU_DEADLINE_S:-520}))
mkdir -p "$RESDIR" "$MODELS"
LOG="$RESDIR/gpu-check.log"
RES="$RESDIR/results.txt"
SUM="$RESDIR/summary.txt"
: >"$LOG"
: >"$RES"
export LD_LIBRARY_PATH="$PWD/$BUNDLE:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export YS_BINARY_DIR="$MODELS"

dry=0 cpu_only=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
[[ "${1:-}" == "--cpu-only" ]] && cpu_only=1
gpu=1  # whether the steps that follow need a GPU (--cpu-only skips those)
why=""
if ((dry)); then why="--dry-run"
elif ((cpu_only)); then why=""
elif [[ ! -x "$BUNDLE/ys_cuda_check" ]]; then why="no $BUNDLE/ (run tools/gpu-bundle.sh here and carry it)"
elif ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then why="no NVIDIA GPU/driver"
elif ! "$BUNDLE/ys_cuda_check" devices >/dev/null 2>&1; then why="CUDA runtime sees no device"
fi

declare -a summary
t_start=$(date +%s)
# step NAME LIMIT_S CMD...  (RESULT lines go to $RES with the step's tag; stderr lines of
# the runtime's counters, "yardstick runtime [...]", become RESULT lines too)
step() {
  local name=$1 limit=$2
  shift 2
  if [[ -n "$why" ]]; then
    summary+=("SKIPPED  $name ($why)")
    return 0
  fi
  if ((cpu_only && gpu)); then
    summary+=("SKIPPED  $name (--cpu-only)")
    return 0
  fi
  local left=$((DEADLINE - $(date +%s) - 5))
  if ((left < 15)); then
    summary+=("SKIPPED  $name (deadline: ${left}s left)")
    return 0
  fi
  ((limit > left)) && limit=$left
  local t0=$(date +%s) rc
  echo "=== $name (limit ${limit}s): $*" | tee -a "$LOG"
  timeout -k 5 "$limit" "$@" >"$RESDIR/step.out" 2>&1
  rc=$?
  cat "$RESDIR/step.out" >>"$LOG"
  grep '^RESULT ' "$RESDIR/step.out" | sed "s/^RESULT /$name /" >>"$RES"
  grep -o 'yardstick runtime \[.*' "$RESDIR/step.out" | sed "s/^/$name runtime /" >>"$RES"
  grep -E '^[a-z0-9_-]+ +\(run ' "$RESDIR/step.out" | sed "s/^/$name run /" >>"$RES"
  echo "$name wall_s $(($(date +%s) - t0))" >>"$RES"
  local status=ok
  ((rc == 124 || rc == 137)) && status="TIMEOUT(${limit}s)"
  ((rc != 0 && rc != 124 && rc != 137)) && status="FAILED(rc=$rc)"
  echo "$name status $status" >>"$RES"
  summary+=("$(printf '%-8s %s (%ss)' "$status" "$name" $(($(date +%s) - t0)))")
  [[ $status == ok ]] || tail -20 "$RESDIR/step.out"
  return 0
}

Y=${YS_YARDSTICK:-$BUNDLE/yardstick}
C="$BUNDLE/ys_cuda_check"
DATA=${YS_GPU_DATA:-$BUNDLE/data}  # the MMLU files, imported by gpu-bundle.sh
synth() {  # synth NAME LIMIT ARGS...
  local name=$1 limit=$2
  shift 2
  [[ -n "$why" ]] && { summary+=("SKIPPED  synth $name ($why)"); return 0; }
  ((cpu_only && gpu)) && { summary+=("SKIPPED  synth $name (--cpu-only)"); return 0; }
  [[ -f "$MODELS/$name.gguf" ]] || step "synth-$name" "$limit" "$Y" synth "$@" -o "$MODELS/$name.gguf"
}

# 1. the device and the tests
step nvidia-smi 20 nvidia-smi
step devices 20 "$C" devices
step test_cuda 150 "$BUNDLE/test_cuda" --durations yes

# 2. issue 16: MMLU through the shared runtime on the GPU, its reuse next to the CPU's
synth llama3-8b-q4_0 200 --preset llama3-8b --type q4_0
gpu=0
synth llama3-vocab-tiny 60 --arch llama --layers 1 --dim 64 --heads 4 --kv-heads 2 --ffn 128 --vocab 128256 --ctx 8192 --type f32
# The tiny model has the 8B preset's vocabulary (the synthetic tokenizer depends only on its
# size), so the same documents give the same tokens. Same block budget for both: the 8B
# shape holds 256 KiB of f32 keys/values per position, the tiny one (1 layer, 2 kv heads of
# 16) 256 bytes, so 2 GiB there = 2 MiB here (8192 positions, 512 blocks).
mmlu=(run --suite mmlu --limit-per-subject 10 --data-dir "$DATA")
gpu=1
step mmlu-cuda-8b 200 env YS_RUNTIME_STATS=1 "$Y" "${mmlu[@]}" --device cuda \
  --model "$MODELS/llama3-8b-q4_0.gguf" --kv-memory 2GiB --db "$RESDIR/mmlu.db" --tag cuda
gpu=0
step mmlu-cpu-counts 120 env YS_RUNTIME_STATS=1 "$Y" "${mmlu[@]}" --device cpu --threads 16 \
  --model "$MODELS/llama3-vocab-tiny.gguf" --kv-memory 2MiB --db "$RESDIR/mmlu-cpu.db" --tag cpu-counts

# 3. CPU thread scaling (the 16-core box): bench engine and an MMLU slice per thread count
synth smollm2-q4_1 60 --preset smollm2-135m --type q4_1
THREADS=${YS_GPU_THREADS:-1 2 4 8 16}
for t in $THREADS; do
  step "cpu-bench-t$t" 60 "$Y" bench engine --model "$MODELS/smollm2-q4_1.gguf" -p 512 -n 128 --repetitions 2 \
    --threads "$t" --no-store
done
for t in $THREADS; do
  step "cpu-mmlu-t$t" 90 env YS_RUNTIME_STATS=1 "$Y" run --suite mmlu --limit 24 --data-dir "$DATA" \
    --model "$MODELS/smollm2-q4_1.gguf" --threads "$t" --db "$RESDIR/scaling.db" --tag "t$t"
done

# 4. the older measurements, as time allows
gpu=1
step ceilings 60 "$C" ceilings
for t in f16 q4_0; do synth "smollm2-$t" 60 --preset smollm2-135m --type "$t"; done
for t in f16 q4_0; do synth "llama3-8b-l4-$t" 90 --preset llama3-8b --type "$t" --layers 4; done
[[ "${YS_GPU_CHECK_FULL:-0}" == 1 ]] && synth llama3-8b-f16 240 --preset llama3-8b --type f16
for m in smollm2-f16 smollm2-q4_0 llama3-8b-l4-f16 llama3-8b-l4-q4_0; do
  step "compare-$m" 60 "$C" compare "$MODELS/$m.gguf"
done
benches=(smollm2-q4_0 llama3-8b-q4_0 smollm2-f16)
[[ "${YS_GPU_CHECK_FULL:-0}" == 1 ]] && benches+=(llama3-8b-f16)
for m in "${benches[@]}"; do step "bench-$m" 90 "$C" bench "$MODELS/$m.gguf" 512 128 32; done
det_benches=(smollm2-q4_0 llama3-8b-q4_0)
for m in "${det_benches[@]}"; do step "bench-det-$m" 90 "$C" bench "$MODELS/$m.gguf" 512 128 32 --deterministic; done
for m in smollm2-q4_0 llama3-8b-l4-f16; do step "drift-$m" 60 "$C" drift "$MODELS/$m.gguf"; done

{
  echo
  echo "==== gpu-check summary ($(($(date +%s) - t_start)) s) ===="
  printf '%s\n' "${summary[@]}"
  if [[ -z "$why" ]]; then
    get() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k {print $3}' "$RES" | head -1; }
    counts() {  # counts STEP: the runtime's scoring counts from its stderr line (and the step's status)
      echo "$(grep "^$1 runtime " "$RES" | head -1 | sed -E 's/.*scoring ([0-9]+) positions computed, ([0-9]+) reused; ([0-9]+) steps, ([0-9]+) rows, ([0-9]+) output rows.*/computed \1, reused \2, steps \3, output rows \5/') [step $(get "$1" status)]"
    }
    echo
    echo "issue 16 — MMLU 5-shot, --limit-per-subject 10 (570 documents):"
    echo "  CUDA, Llama-3-8B shape Q4_0: step wall $(get mmlu-cuda-8b wall_s) s (model load included)"
    grep "^mmlu-cuda-8b run " "$RES" | sed 's/^mmlu-cuda-8b run /    /'
    echo "  CUDA counts: $(counts mmlu-cuda-8b)"
    echo "  CPU counts (same documents, same block budget): $(counts mmlu-cpu-counts)"
    echo "  (the same command on the 2-core development machine, commit of issue 16: computed 429201, reused 4008476, output rows 3990)"
    echo "  (computed, reused and output rows must be equal; steps differ: 512-row steps on CUDA, 256 on the CPU)"
    echo
    echo "CPU thread scaling (SmolLM2-shape Q4_1; bench engine medians; MMLU slice of 24 documents, step wall time):"
    printf '%8s %12s %12s %14s  %s\n' threads pp512_tok/s tg128_tok/s mmlu24_wall_s "yardstick run's line"
    for t in $THREADS; do
      pp=$(grep -A40 "=== cpu-bench-t$t " "$LOG" | grep -m1 '| *pp512 *|' | awk -F'|' '{print $8}' | awk '{print $1}')
      tg=$(grep -A40 "=== cpu-bench-t$t " "$LOG" | grep -m1 '| *tg128 *|' | awk -F'|' '{print $8}' | awk '{print $1}')
      printf '%8s %12s %12s %14s  %s\n' "$t" "${pp:-?}" "${tg:-?}" "$(get "cpu-mmlu-t$t" wall_s)" \
        "$(grep "^cpu-mmlu-t$t run " "$RES" | sed "s/^cpu-mmlu-t$t run //")"
    done
    copy=$(get ceilings ceiling.copy_gbs)
    gemm=$(get ceilings ceiling.gemm_f16_tflops)
    echo
    echo "ceilings: copy ${copy:-?} GB/s (read+write), cuBLAS f16 GEMM ${gemm:-?} TFLOP/s, bf16 $(get ceilings ceiling.gemm_bf16_tflops) TFLOP/s"
    printf '%-18s %10s %9s %7s %10s %9s %7s %10s\n' model pp512_t/s TFLOP/s %gemm tg128_t/s wGB/s %copy b32_t/s
    for m in "${benches[@]}"; do
      s="bench-$m"
      pp=$(get "$s" bench.pp512_tps) tf=$(get "$s" bench.pp512_tflops) tg=$(get "$s" bench.tg128_tps)
      bw=$(get "$s" bench.tg_weight_gbs) b32=$(get "$s" bench.b32_tps)
      fg=$(awk -v a="${tf:-0}" -v b="${gemm:-0}" 'BEGIN{ if (b > 0) printf "%.1f", 100*a/b; else print "?" }')
      fc=$(awk -v a="${bw:-0}" -v b="${copy:-0}" 'BEGIN{ if (b > 0) printf "%.1f", 100*a/b; else print "?" }')
      printf '%-18s %10s %9s %7s %10s %9s %7s %10s\n' "$m" "${pp:-?}" "${tf:-?}" "$fg" "${tg:-?}" "${bw:-?}" "$fc" "${b32:-?}"
    done
    echo
    echo "--deterministic cost (tokens/s, deterministic / default):"
    printf '%-18s %14s %14s %14s\n' model pp512 tg128 b32
    for m in "${det_benches[@]}"; do
      cell() {
        local d=$(get "bench-det-$m" "$1") n=$(get "bench-$m" "$1")
        awk -v d="${d:-0}" -v n="${n:-0}" 'BEGIN{ if (d > 0 && n > 0) printf "%.1f (%.2fx)", d, d/n; else print "?" }'
      }
      printf '%-18s %14s %14s %14s\n' "$m" "$(cell bench.pp512_tps)" "$(cell bench.tg128_tps)" "$(cell bench.b32_tps)"
    done
    echo
    echo "batch drift of one 64-token sequence (max |dlogit| vs one token per step):"
    printf '%-20s %12s %12s %12s %12s\n' model default_b7 default_b32 det_b7 det_b32
    for m in smollm2-q4_0 llama3-8b-l4-f16; do
      s="drift-$m"
      printf '%-20s %12s %12s %12s %12s\n' "$m" "$(get "$s" drift.default_max_dlogit_b7)" "$(get "$s" drift.default_max_dlogit_b32)" \
        "$(get "$s" drift.deterministic_max_dlogit_b7)" "$(get "$s" drift.deterministic_max_dlogit_b32)"
    done
    echo
    echo "CUDA vs CPU (teacher-forced logprobs on a fixed text):"
    printf '%-20s %10s %10s %8s %8s\n' model max_abs mean_abs argmax greedy32
    for m in smollm2-f16 smollm2-q4_0 llama3-8b-l4-f16 llama3-8b-l4-q4_0; do
      s="compare-$m"
      printf '%-20s %10s %10s %8s %8s\n' "$m" "$(get "$s" compare.max_abs_dlogprob)" "$(get "$s" compare.mean_abs_dlogprob)" \
        "$(get "$s" compare.argmax_agreement)" "$(get "$s" compare.greedy32_identical)"
    done
  fi
} | tee "$SUM"
rm -f "$RESDIR/step.out"
exit 0
