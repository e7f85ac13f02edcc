#!/usr/bin/env bash
# Makes a fresh clone ready to run: system packages (libtorch, an optimised BLAS, a C++ toolchain, Gloo's headers), npm
# dependencies from the lockfile, the native addon and the compiled CLI. Safe to run again: each step is
# skipped when already done. Usage: bash scripts/setup.sh [--with-test-oracles]
set -euo pipefail
cd "$(dirname "$0")/.."

# libgloo-dev: Gloo's headers, for c10d's Gloo process groups (distributed training); iproute2 for its tests.
packages=(libtorch-dev libopenblas0-openmp g++ make python3 libgloo-dev iproute2)
# The test suite compares against files written by other tools; those tools are only needed to remake
# fixtures, but CI installs them so the optional cross-checks run too. Chromium runs the report's browser tests
# (driven by playwright-core, which downloads no browser of its own).
if [[ "${1:-}" == "--with-test-oracles" ]]; then packages+=(python3-nibabel python3-skimage chromium); fi

missing=()
# Installed means "install ok installed": dpkg -s also succeeds for a package removed but not purged.
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} (apt)"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies"
  npm ci --ignore-scripts --no-audit --no-fund
fi

addon=build/Release/mrsynth_native.node
if [[ ! -f $addon || -n "$(find native binding.gyp scripts/libtorch-config.mjs -newer "$addon" 2>/dev/null)" ]]; then
  echo "setup: building the native addon against ${LIBTORCH_DIR:-Debian libtorch-dev}"
  npm run build:native -- -j "$(nproc)" >/tmp/mrsynth-native-build.log 2>&1 || { tail -40 /tmp/mrsynth-native-build.log; exit 1; }
fi

if [[ ! -f dist/cli/main.js || -n "$(find src tsconfig.json tsconfig.build.json -newer dist/cli/main.js 2>/dev/null | head -1)" ]]; then
  echo "setup: compiling TypeScript"
  npm run build --silent
fi
