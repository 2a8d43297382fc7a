#!/usr/bin/env bash
# Installs NVIDIA's run-time compiler (NVRTC 11.8) from Debian 12's non-free component, and extracts ptxas
# from the nvidia-cuda-toolkit package without installing the toolkit, so the kernel compile check runs on
# machines with no GPU and no CUDA toolkit. Uses an apt source list and state folder of its own (the
# system's sources are not edited); versions are pinned. Needs root for the NVRTC install (CI runs as root).
# Usage: tools/install-nvrtc.sh [cache folder, default <repo>/.cache/cuda]   -> ptxas at <cache>/bin/ptxas
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${1:-$repo/.cache/cuda}"
version="11.8.89~11.8.0-5~deb12u1"
packages=("libnvrtc11.2=$version" "libnvrtc-builtins11.8=$version")

apt_dir="$cache/apt"
mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/bin"
cat > "$apt_dir/sources/non-free.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_options=(
  -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
  -o "APT::Sandbox::User=root"
)

installed() { [ "$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)" = "$version" ]; }

updated=0
update_lists() {
  if [ "$updated" -eq 0 ]; then
    apt-get "${apt_options[@]}" -qq update
    updated=1
  fi
}

if ! installed libnvrtc11.2 || ! installed libnvrtc-builtins11.8; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-nvrtc.sh: NVRTC $version is not installed and installing it needs root." >&2
    exit 2
  fi
  update_lists
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" -qq -y --no-install-recommends install "${packages[@]}" >/dev/null
fi

if [ ! -x "$cache/bin/ptxas" ]; then
  update_lists
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && apt-get "${apt_options[@]}" -qq download "nvidia-cuda-toolkit=$version")
  dpkg-deb --fsys-tarfile "$scratch"/nvidia-cuda-toolkit_*.deb | tar -x -C "$scratch" ./usr/bin/ptxas
  install -m 0755 "$scratch/usr/bin/ptxas" "$cache/bin/ptxas"
fi

echo "NVRTC $(dpkg-query -W -f='${Version}' libnvrtc11.2); ptxas: $cache/bin/ptxas ($("$cache/bin/ptxas" --version | tail -1))"
