#!/usr/bin/env bash
# What ONE device call runs (after tools/gpu-bundle.sh here):
#   run(carry=["gpu-bundle"], timeout_s=540, command="tools/gpu-check.sh")
# Steps: nvidia-smi; device facts; the CUDA tests; measured ceilings (copy bandwidth, cuBLAS
# GEMM); synthetic models made there with `yardstick synth` (SmolLM2-135M and Llama-3-8B
# shapes; F16, Q8_0, Q4_0); CUDA-vs-CPU logprobs; pp512 / tg128 / one 32-token batch; a
# final table with fractions of the measured ceilings; the cost of --deterministic (the same
# benches with batch-invariant kernels) and the default mode's batch drift (issue 9). Without a GPU (or with --dry-run) it
# prints which steps were skipped and exits 0. Logs and results go to $OUT (else /tmp).
# Env: YS_GPU_CHECK_FULL=1 also times the Llama-3-8B shape at F16 (16 GB, slower to make).
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${YS_BUNDLE:-gpu-bundle}
RESDIR=${OUT:-/tmp/ys-gpu-check}
MODELS=${YS_GPU_MODELS:-/tmp/ys-gpu-models}
mkdir -p "$RESDIR" "$MODELS"
LOG="$RESDIR/gpu-check.log"
RES="$RESDIR/results.txt"
: >"$LOG"
: >"$RES"
export LD_LIBRARY_PATH="$PWD/$BUNDLE:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export YS_BINARY_DIR="$MODELS"

dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
why=""
if ((dry)); then why="--dry-run"
elif [[ ! -x "$BUNDLE/ys_cuda_check" ]]; then why="no $BUNDLE/ (run tools/gpu-bundle.sh here and carry it)"
elif ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then why="no NVIDIA GPU/driver"
elif ! "$BUNDLE/ys_cuda_check" devices >/dev/null 2>&1; then why="CUDA runtime sees no device"
fi

declare -a summary
t_start=$(date +%s)
# step NAME TIMEOUT_S CMD...  (RESULT lines go to $RES with the step's tag)
step() {
  local name=$1 limit=$2
  shift 2
  if [[ -n "$why" ]]; then
    summary+=("SKIPPED  $name ($why)")
    return 0
  fi
  local t0=$(date +%s) rc
  echo "=== $name: $*" | tee -a "$LOG"
  timeout "$limit" "$@" >"$RESDIR/step.out" 2>&1
  rc=$?
  cat "$RESDIR/step.out" >>"$LOG"
  grep '^RESULT ' "$RESDIR/step.out" | sed "s/^RESULT /$name /" >>"$RES"
  local status=ok
  ((rc == 124)) && status="TIMEOUT(${limit}s)"
  ((rc != 0 && rc != 124)) && status="FAILED(rc=$rc)"
  summary+=("$(printf '%-8s %s (%ss)' "$status" "$name" $(($(date +%s) - t0)))")
  [[ $status == ok ]] || tail -20 "$RESDIR/step.out"
  return 0
}

Y="$BUNDLE/yardstick"
C="$BUNDLE/ys_cuda_check"
step nvidia-smi 30 nvidia-smi
step devices 30 "$C" devices
step test_cuda 180 "$BUNDLE/test_cuda" --durations yes
step ceilings 90 "$C" ceilings

synth() {  # synth NAME ARGS...
  local name=$1
  shift
  [[ -n "$why" ]] && { summary+=("SKIPPED  synth $name ($why)"); return 0; }
  [[ -f "$MODELS/$name.gguf" ]] || step "synth-$name" 240 "$Y" synth "$@" -o "$MODELS/$name.gguf"
}
for t in f16 q8_0 q4_0; do synth "smollm2-$t" --preset smollm2-135m --type "$t"; done
synth llama3-8b-q4_0 --preset llama3-8b --type q4_0
for t in f16 q4_0; do synth "llama3-8b-l4-$t" --preset llama3-8b --type "$t" --layers 4; done
[[ "${YS_GPU_CHECK_FULL:-0}" == 1 ]] && synth llama3-8b-f16 --preset llama3-8b --type f16

for m in smollm2-f16 smollm2-q8_0 smollm2-q4_0 llama3-8b-l4-f16 llama3-8b-l4-q4_0; do
  step "compare-$m" 120 "$C" compare "$MODELS/$m.gguf"
done
benches=(smollm2-f16 smollm2-q8_0 smollm2-q4_0 llama3-8b-q4_0)
[[ "${YS_GPU_CHECK_FULL:-0}" == 1 ]] && benches+=(llama3-8b-f16)
for m in "${benches[@]}"; do
  step "bench-$m" 150 "$C" bench "$MODELS/$m.gguf" 512 128 32
done
# --deterministic: the same benches with batch-invariant kernels (issue 9), and the drift
# of one sequence's logits with the tokens per forward call, default vs deterministic.
det_benches=(smollm2-q4_0 llama3-8b-q4_0)
for m in "${det_benches[@]}"; do
  step "bench-det-$m" 150 "$C" bench "$MODELS/$m.gguf" 512 128 32 --deterministic
done
for m in smollm2-q4_0 llama3-8b-l4-f16; do
  step "drift-$m" 120 "$C" drift "$MODELS/$m.gguf"
done

echo
echo "==== gpu-check summary ($(($(date +%s) - t_start)) s) ===="
printf '%s\n' "${summary[@]}"
if [[ -z "$why" ]]; then
  get() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k {print $3}' "$RES" | head -1; }
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
    cell() {  # cell KEY: "det (ratio)"
      local d=$(get "bench-det-$m" "$1") n=$(get "bench-$m" "$1")
      awk -v d="${d:-0}" -v n="${n:-0}" 'BEGIN{ if (d > 0 && n > 0) printf "%.1f (%.2fx)", d, d/n; else print "?" }'
    }
    printf '%-18s %14s %14s %14s\n' "$m" "$(cell bench.pp512_tps)" "$(cell bench.tg128_tps)" "$(cell bench.b32_tps)"
  done
  echo
  echo "batch drift of one 64-token sequence (max |dlogit| vs one token per call):"
  printf '%-20s %12s %12s %12s %12s\n' model default_b7 default_b32 det_b7 det_b32
  for m in smollm2-q4_0 llama3-8b-l4-f16; do
    s="drift-$m"
    printf '%-20s %12s %12s %12s %12s\n' "$m" "$(get "$s" drift.default_max_dlogit_b7)" "$(get "$s" drift.default_max_dlogit_b32)" \
      "$(get "$s" drift.deterministic_max_dlogit_b7)" "$(get "$s" drift.deterministic_max_dlogit_b32)"
  done
  echo
  echo "CUDA vs CPU (teacher-forced logprobs on a fixed text):"
  printf '%-20s %10s %10s %8s %8s\n' model max_abs mean_abs argmax greedy32
  for m in smollm2-f16 smollm2-q8_0 smollm2-q4_0 llama3-8b-l4-f16 llama3-8b-l4-q4_0; do
    s="compare-$m"
    printf '%-20s %10s %10s %8s %8s\n' "$m" "$(get "$s" compare.max_abs_dlogprob)" "$(get "$s" compare.mean_abs_dlogprob)" \
      "$(get "$s" compare.argmax_agreement)" "$(get "$s" compare.greedy32_identical)"
  done
fi
exit 0
