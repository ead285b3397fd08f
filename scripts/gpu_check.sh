#!/usr/bin/env bash
# GPU checks: set up the venv, run the GPU tests, the scale bench and the default LeNet-5 pipeline on CUDA, and
# collect everything in one folder (the GPU section of BENCHMARKS.md is filled from it).
#
#   scripts/gpu_check.sh [results folder]      (default: $OUT if set, else gpu-results/<UTC time>)
#
# Reuses .venv when it imports torch with CUDA (a torch built for CUDA is in requirements.txt); otherwise runs
# ./setup.sh (needs the package index). EDEN_PYTHON=<python> uses that interpreter instead (an environment that
# already has requirements.txt installed; the checkout is put first on PYTHONPATH). EDEN_GPU_QUICK=1 runs the bench
# with --quick (a smoke run).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-gpu-results/$(date -u +%Y%m%dT%H%M%SZ)}}
mkdir -p "$out"
py=${EDEN_PYTHON:-.venv/bin/python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -z "${EDEN_PYTHON:-}" ] && ! "$py" -c "import torch, eden; assert torch.cuda.is_available()" 2>/dev/null; then
  ./setup.sh || { echo "gpu_check: setup failed" | tee "$out/FAILED"; exit 1; }
fi
"$py" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible to torch'" \
  || { echo "gpu_check: torch sees no CUDA device" | tee "$out/FAILED"; exit 1; }

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1
  "$py" -c "import torch; p = torch.cuda.get_device_properties(0); print(f'torch {torch.__version__}, CUDA {torch.version.cuda}, {p.name}, {p.total_memory / 2**30:.0f} GiB')"
  nproc
} > "$out/device.txt" 2>&1
cat "$out/device.txt"

status=0
echo "== pytest -m gpu"
"$py" -m pytest -m gpu -p no:cacheprovider -q -rs 2>&1 | tee "$out/pytest_gpu.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== python -m eden.bench scale"
quick=(); [ "${EDEN_GPU_QUICK:-0}" = 1 ] && quick=(--quick)
"$py" -m eden.bench scale --device cuda "${quick[@]}" 2>&1 | tee "$out/bench_scale.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== default LeNet-5 pipeline on CUDA (target: <= 60 s after the baseline)"
cache="$out/cache"
common=(trainer=gpu trainer.progress_bar=false tracking=off "paths.cache=$cache")
"$py" run.py "${common[@]}" stage=baseline 2>&1 | tee "$out/pipeline_baseline.txt"
start=$(date +%s.%N)
"$py" run.py "${common[@]}" 2>&1 | tee "$out/pipeline_rest.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
end=$(date +%s.%N)
echo "pipeline after the baseline: $("$py" -c "print(round($end - $start, 1))") s (includes process start and imports)" \
  | tee "$out/pipeline_time.txt"
rm -rf "$cache"
echo "results in $out (exit $status)"
exit "$status"
