#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine that has Node 20 and npm (run as root):
# Debian's chromium (its SwiftShader Vulkan driver runs WebGPU without a GPU; the browser runs the browser tests),
# the Vulkan loader libvulkan1 (Dawn, behind the `webgpu` npm package, loads libvulkan.so.1 from the system path),
# the pnpm version pinned in package.json, and the workspace's dependencies (frozen lockfile under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/lib/chromium/vk_swiftshader_icd.json ] || ! command -v chromium >/dev/null 2>&1 \
  || ! ldconfig -p | grep 'libvulkan\.so\.1 ' >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium libvulkan1 >/dev/null
fi

pinned=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pinned" ]; then
  npm install -g --no-fund --no-audit "pnpm@$pinned" >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install
fi
