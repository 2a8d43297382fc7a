#!/usr/bin/env bash
# Installs NVIDIA's run-time compiler (NVRTC 11.8: libnvrtc11.2 + libnvrtc-builtins11.8, ~17 MB) from Debian 12's
# non-free component, so the kernel compile check (tests/Gpu.Tests) runs on machines with no GPU and no CUDA
# toolkit. ptxas's register/spill/shared-memory report comes through NVRTC itself (--ptxas-options=-v), so the
# toolkit package is not needed. Uses an apt source list and state folder of its own (the system's sources are
# not edited); versions are pinned. Needs root (CI runs as root). A second run with NVRTC installed does nothing.
# Usage: tools/install-nvrtc.sh [state folder, default <repo>/.cache/nvrtc-apt]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
state="${1:-$repo/.cache/nvrtc-apt}"
version="11.8.89~11.8.0-5~deb12u1"

installed() { [ "$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)" = "$version" ]; }

if installed libnvrtc11.2 && installed libnvrtc-builtins11.8; then
  echo "NVRTC $version is installed."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-nvrtc.sh: NVRTC $version is not installed and installing it needs root." >&2
  exit 2
fi

mkdir -p "$state/sources" "$state/lists/partial" "$state/archives/partial"
cat > "$state/sources/non-free.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_options=(
  -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$state/sources"
  -o "Dir::State::Lists=$state/lists" -o "Dir::Cache::Archives=$state/archives"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_options[@]}" -qq update
DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" -qq -y --no-install-recommends \
  install "libnvrtc11.2=$version" "libnvrtc-builtins11.8=$version" >/dev/null
echo "NVRTC $(dpkg-query -W -f='${Version}' libnvrtc11.2) installed."
