#!/usr/bin/env bash
# The GPU run, on the device machine (H200; no .NET there), from the repository root, after
# tools/gpu-check-build.sh here:
#   run(command="tools/gpu-check.sh", carry=[".device/gpu-check"], timeout_s=540)
# Prints the environment (GPU, driver, CUDA, NVRTC, cuBLAS), then the check program compiles the kernels with
# that machine's NVRTC, checks each kernel against its C# reference, runs the runner conformance suite on the CUDA
# runner, compares greedy continuations of every synthetic family with the CPU runner's (32 tokens), checks whole
# forward passes and graph replays, and measures the figures (copy bandwidth, paged decode attention at 4k/16k/32k,
# decode at batch 1 against the roofline with and without graphs and batch-64 throughput against transformers
# generate, both on Llama-3.2-1B- and gemma-3-1b-shaped checkpoints); then, with the time left,
# tools/parity/make_fixtures.py writes transformers parity fixtures. Into $OUT:
# the report <date>-<commit>.md (commit it as docs/gpu-runs/<date>-<commit>.md), gpu-check.log, and
# parity-fixtures.tar.gz. Exit status: the check program's (0 passed, 1 a check failed, 3 no GPU).
# With --no-peers (a rerun whose peers were measured before, in a session with little device time left): no
# transformers baseline and no parity fixtures, about 90 s of checks in a 240 s budget.
set -uo pipefail

peers=1
if [ "${1:-}" = "--no-peers" ]; then
  peers=0
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$repo/gpu-run}"
program="$repo/.device/gpu-check/LlmQueue.GpuCheck"
budget_seconds=$([ "$peers" -eq 1 ] && echo 470 || echo 240) # the whole script: under 8 minutes
mkdir -p "$out"
exec > >(tee -a "$out/gpu-check.log") 2>&1
start=$SECONDS

echo "== environment"
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.mem,power.limit,temperature.gpu --format=csv 2>&1 || echo "nvidia-smi: not available"
command -v nvcc >/dev/null && nvcc --version | tail -2
python3 -c 'import torch, transformers; print("torch", torch.__version__, "CUDA", torch.version.cuda, "transformers", transformers.__version__)' 2>&1 | tail -1

# The driver, NVRTC and cuBLAS wherever this image keeps them (driver mount, toolkit, pip's nvidia-* wheels), for
# the program's soname probe (LLMQ_CUDA_LIBRARY_PATH) and for the loader (NVRTC loads its builtins, cuBLAS cuBLASLt).
folders=""
for lib in 'libcuda.so.1' 'libnvrtc.so.*' 'libcublas.so.*'; do
  while IFS= read -r path; do
    folder="$(dirname "$path")"
    case ":$folders:" in *":$folder:"*) ;; *) folders="${folders:+$folders:}$folder" ;; esac
  done < <(find /usr/local/nvidia /usr/local/cuda*/ /usr/lib/x86_64-linux-gnu /usr/lib64 /opt /usr/local/lib -name "$lib" 2>/dev/null | sort -r | head -4)
done
export LLMQ_CUDA_LIBRARY_PATH="$folders"
export LD_LIBRARY_PATH="${folders}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "library folders: ${folders:-none found}"

if [ ! -x "$program" ]; then
  echo "gpu-check.sh: $program is missing: run tools/gpu-check-build.sh here and carry .device/gpu-check." >&2
  exit 2
fi

echo "== checks"
# Stages not started within the check budget are reported as not run; one started late may run on (the transformers
# baseline is capped at 150 s), so the hard timeout leaves room and the parity fixtures get what is left.
check_budget=$((budget_seconds - 90 - (SECONDS - start)))
peer_arguments=()
[ "$peers" -eq 1 ] && peer_arguments=(--hf-script "$repo/tools/parity/hf_generate.py")
timeout $((check_budget + 75)) "$program" --out "$out" --budget "$check_budget" --commit "$(cat "$repo/.device/gpu-check/COMMIT")" \
  "${peer_arguments[@]}"
status=$?
[ "$status" -eq 124 ] && echo "gpu-check.sh: the check program ran out of time; the report was not written."

left=$((budget_seconds - (SECONDS - start)))
echo "== transformers parity fixtures (${left}s left)"
if [ "$peers" -eq 0 ]; then
  echo "skipped: --no-peers."
elif [ "$left" -gt 30 ]; then
  fixtures="$(mktemp -d)"
  if PYTHONUNBUFFERED=1 timeout $((left - 10)) python3 "$repo/tools/parity/make_fixtures.py" "$fixtures/parity"; then
    tar -czf "$out/parity-fixtures.tar.gz" -C "$fixtures" parity && echo "parity fixtures: $out/parity-fixtures.tar.gz"
  else
    echo "make_fixtures.py failed or ran out of time (see above)."
  fi
else
  echo "skipped: not enough time left."
fi

echo "== done in $((SECONDS - start))s; check status $status"
exit "$status"
