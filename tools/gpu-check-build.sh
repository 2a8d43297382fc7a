#!/usr/bin/env bash
# Builds what the GPU machine runs, here (that machine has no .NET): tools/GpuCheck published self-contained,
# single-file, compressed, for linux-x64, into .device/gpu-check/ (git-ignored; the device tool's `carry` names
# it). Fails if the build plus the tracked tree would not fit the device tool's 64 MiB transfer limit.
# Usage: tools/gpu-check-build.sh        then: run(command="tools/gpu-check.sh", carry=[".device/gpu-check"])
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/.device/gpu-check"
limit=$((64 * 1024 * 1024))

rm -rf "$out"
dotnet publish "$repo/tools/GpuCheck" -c Release -r linux-x64 --self-contained true --nologo -v quiet \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:DebugType=none -p:GenerateDocumentationFile=false \
  -o "$out"

commit="$(git -C "$repo" rev-parse --short=12 HEAD)"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  commit="$commit-dirty"
fi
echo "$commit" > "$out/COMMIT"

build_bytes="$(du -sb "$out" | cut -f1)"
tree_bytes="$(git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 du -cb 2>/dev/null) | tail -1 | cut -f1)"
total=$((build_bytes + tree_bytes))
echo "gpu-check build: $out ($((build_bytes / 1024 / 1024)) MiB) + tracked tree $((tree_bytes / 1024 / 1024)) MiB = $((total / 1024 / 1024)) MiB of the 64 MiB limit; commit $commit"
if [ "$total" -gt "$limit" ]; then
  echo "gpu-check-build.sh: over the device tool's 64 MiB transfer limit." >&2
  exit 1
fi
