#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those missing.
# Called by `make deps-test`; safe to run again (does nothing when all are there).
set -euo pipefail

# The one list: the build (cross toolchain, qemu-user for the arm64 smoke test),
# the real peers of test/system (see DESIGN.md §4) and the HIL emulator.
PACKAGES=(
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
  iproute2
  util-linux
)

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
sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
