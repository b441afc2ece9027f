#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those missing.
# Called by `make deps-test`; safe to run again (does nothing when all are there).
set -euo pipefail

# The one list: the build (compilers, cross toolchain, espeak-ng; qemu-user for the arm64 smoke test),
# the real peers of test/system (see DESIGN.md §4) and the HIL emulator.
PACKAGES=(
  g++
  qemu-user-static
  binutils-aarch64-linux-gnu
  g++-aarch64-linux-gnu
  sip-tester
  baresip-core
  sipvicious
  kamailio
  rtpengine-daemon
  socat
  # voice: sox makes the upload test files; espeak-ng speaks the system prompts at build time
  sox
  espeak-ng
  # test/hil (docs/hil.md): the arm64 system emulator, the initramfs packer,
  # and ip/nsenter/unshare for its network namespace. The arm64 kernel and
  # busybox are Debian packages too, fetched by scripts/qemu/build-image.sh.
  qemu-system-arm
  cpio
  # test/system/web-browser: the admin and user web in a real browser (playwright-core drives it)
  chromium
  iproute2
  util-linux
)

# `--build`: only what building needs (native addons for both arches, the
# spoken prompts), for `make run` and `make build` on a fresh machine.
if [ "${1:-}" = "--build" ]; then
  PACKAGES=(g++ binutils-aarch64-linux-gnu g++-aarch64-linux-gnu espeak-ng sox)
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

# arm64 as a dpkg architecture, so that apt knows arm64 packages: scripts/build.mjs
# `apt-get download`s libbcg729-dev:arm64 (G.729, docs/g729.md) and build-image.sh the
# arm64 kernel and busybox. Downloaded and unpacked into .cache/ only: do NOT install
# arm64 libraries here (multiarch libbcg729-dev:arm64 pulls libc6:arm64 into
# /lib/aarch64-linux-gnu, and qemu-user then mixes it with the cross toolchain's ld.so
# from /usr/aarch64-linux-gnu: every arm64 node run hangs).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "debian deps: dpkg --add-architecture arm64"
  "${sudo[@]}" dpkg --add-architecture arm64
  "${sudo[@]}" apt-get update -qq
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # dpkg -s also succeeds for removed-but-configured packages: check the status line.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "debian deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "debian deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
