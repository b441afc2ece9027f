#!/usr/bin/env bash
# Builds the QEMU hardware-in-the-loop image of the arm64 executable:
#   .cache/qemu/vmlinuz          Debian arm64 kernel (linux-image-6.1.0-*-arm64)
#   .cache/qemu/initramfs.cpio   busybox + glibc + out/pbxgate-linux-arm64 + rootfs/
# Idempotent: the Debian packages are fetched once, the initramfs is rebuilt
# only when one of its inputs changed (stamp = sizes and mtimes of the inputs).
# Needs root (dpkg --add-architecture, apt-get) the first time only.
# Usage: scripts/qemu/build-image.sh [--force]
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$REPO/.cache/qemu
EXE=$REPO/out/pbxgate-linux-arm64
NATIVE=$REPO/out/native/linux-arm64
SYSROOT=/usr/aarch64-linux-gnu
# Kernel modules the init script loads, in load order (dependencies first).
# Everything else the image needs (PL011, PL061, 8250 PCI, PCI host) is built in.
MODULES=(failover net_failover virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_net virtio_console virtio-rng)

force=0
[ "${1:-}" = --force ] && force=1

say() { echo "build-image: $*"; }
die() { echo "build-image: $*" >&2; exit 1; }

[ -x "$EXE" ] || die "$EXE missing: run 'make build' (or node scripts/build.mjs --arch arm64) first"
[ -f "$NATIVE/epoll.node" ] && [ -f "$NATIVE/bindings-cpp.node" ] || die "$NATIVE/*.node missing: run 'make build' first"
[ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || die "$SYSROOT missing: install g++-aarch64-linux-gnu (make deps-test)"
command -v cpio >/dev/null || die "cpio missing (make deps-test)"
mkdir -p "$CACHE/debs"

# --- 1. Debian packages: kernel + busybox-static, arm64 -----------------------
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "dpkg --add-architecture arm64"
  "${sudo[@]}" dpkg --add-architecture arm64
  "${sudo[@]}" apt-get update -qq
fi

kernel_pkg() {
  # The version Debian's metapackage points at today (e.g. linux-image-6.1.0-56-arm64).
  apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9.]*-[0-9]*-arm64\):arm64$/\1/p' | head -n1
}

have_deb() { compgen -G "$CACHE/debs/$1_*_arm64.deb" >/dev/null; }

# Reuse what is cached: only ask apt when a package is not downloaded yet.
kpkg=$(cd "$CACHE/debs" && ls linux-image-*-arm64_*_arm64.deb 2>/dev/null | head -n1 | sed 's/_.*//') || true
if [ -z "$kpkg" ] || ! have_deb busybox-static; then
  [ -n "$kpkg" ] || kpkg=$(kernel_pkg)
  if [ -z "$kpkg" ] || ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
    say "apt-get update (arm64 package lists missing)"
    "${sudo[@]}" apt-get update -qq
    kpkg=$(kernel_pkg)
  fi
  [ -n "$kpkg" ] || die "no linux-image-*-arm64 package known to apt"
  say "apt-get download $kpkg busybox-static (arm64)"
  # apt's _apt user may not be able to write into the cache: download in a temp dir we own.
  tmp=$(mktemp -d)
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -q "$kpkg:arm64" busybox-static:arm64 2>&1 | grep -v 'unsandboxed as root' || true)
  mv "$tmp"/*.deb "$CACHE/debs/"
  rm -rf "$tmp"
fi
have_deb "$kpkg" || die "download of $kpkg failed"
have_deb busybox-static || die "download of busybox-static failed"

kdeb=$(ls "$CACHE/debs/${kpkg}"_*_arm64.deb | head -n1)
bdeb=$(ls "$CACHE/debs/busybox-static"_*_arm64.deb | head -n1)

if [ ! -f "$CACHE/kernel/.done" ] || [ "$(cat "$CACHE/kernel/.done")" != "$(basename "$kdeb")" ]; then
  say "extracting $(basename "$kdeb")"
  # Only the kernel, its config and the modules we load are kept (the whole package unpacks to 400 MB).
  rm -rf "$CACHE/kernel" "$CACHE/kernel.tmp"
  mkdir -p "$CACHE/kernel/modules" "$CACHE/kernel.tmp"
  dpkg-deb -x "$kdeb" "$CACHE/kernel.tmp"
  cp "$CACHE"/kernel.tmp/boot/config-* "$CACHE/kernel/"
  cp "$CACHE"/kernel.tmp/boot/vmlinuz-* "$CACHE/vmlinuz"
  basename "$(ls -d "$CACHE"/kernel.tmp/lib/modules/*)" >"$CACHE/kernel/version"
  for m in "${MODULES[@]}"; do
    f=$(find "$CACHE/kernel.tmp/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
    [ -n "$f" ] || die "module $m not found in $(basename "$kdeb")"
    cp "$f" "$CACHE/kernel/modules/"
  done
  rm -rf "$CACHE/kernel.tmp"
  basename "$kdeb" >"$CACHE/kernel/.done"
fi
if [ ! -f "$CACHE/busybox/.done" ] || [ "$(cat "$CACHE/busybox/.done")" != "$(basename "$bdeb")" ]; then
  rm -rf "$CACHE/busybox"
  mkdir -p "$CACHE/busybox"
  dpkg-deb -x "$bdeb" "$CACHE/busybox"
  basename "$bdeb" >"$CACHE/busybox/.done"
fi
[ -f "$CACHE/vmlinuz" ] || die "$CACHE/vmlinuz missing: rm -rf $CACHE/kernel and run again"
kver=$(cat "$CACHE/kernel/version")

# --- 2. initramfs, only when an input changed ----------------------------------
mapfile -t rootfs_files < <(find "$REPO/rootfs" -type f | LC_ALL=C sort)
# The spoken prompts (make prompts), looked for beside the executable, when built.
PROMPTS=$REPO/out/prompts
prompt_files=()
[ -d "$PROMPTS" ] && mapfile -t prompt_files < <(find "$PROMPTS" -type f | LC_ALL=C sort)
inputs=("$EXE" "$NATIVE"/*.node "${rootfs_files[@]}" "${prompt_files[@]}" "$0" "$kdeb" "$bdeb")
stamp=$(stat -c '%n %s %Y' "${inputs[@]}" | sha256sum | cut -c1-16)
if [ $force -eq 0 ] && [ -f "$CACHE/initramfs.cpio" ] && [ "$(cat "$CACHE/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "up to date ($CACHE/initramfs.cpio)"
  exit 0
fi

t0=$(date +%s.%N)
root=$CACHE/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/aarch64-linux-gnu,lib/modules,proc,sys,dev,tmp,run,data,etc,root}
chmod 1777 "$root/tmp"

# busybox and its applets (symlinks, made on the host: no need to run arm64 code here).
cp "$CACHE/busybox/bin/busybox" "$root/bin/busybox"
for applet in sh ash mount umount mkdir ln cat echo ls ip ifconfig route insmod sleep ps kill cp mv rm \
  dmesg grep sed awk head tail tr wc stat uname date hostname sync poweroff reboot halt init \
  udhcpc mdev setsid cttyhack stty vi netstat free top uptime env true false test printf find xargs chmod \
  timeout od hexdump; do
  ln -sf busybox "$root/bin/$applet"
done
ln -sf ../bin/busybox "$root/sbin/init"

# glibc runtime: what `readelf -d` lists for node and the two addons (and what libstdc++ pulls).
for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 libgcc_s.so.1 libstdc++.so.6 librt.so.1; do
  cp -L "$SYSROOT/lib/$lib" "$root/lib/aarch64-linux-gnu/$lib"
done
# The interpreter path baked into node is /lib/ld-linux-aarch64.so.1.
ln -sf aarch64-linux-gnu/ld-linux-aarch64.so.1 "$root/lib/ld-linux-aarch64.so.1"
# Catch a new NEEDED entry early rather than as "No such file" in the guest.
for f in "$EXE" "$NATIVE"/*.node; do
  for need in $(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    [ -e "$root/lib/aarch64-linux-gnu/$need" ] || die "$f needs $need: add it to the library list"
  done
done

# The executable, its addons beside it (native/linux-arm64/, see docs/build.md).
cp "$EXE" "$root/usr/bin/pbxgate"
mkdir -p "$root/usr/bin/native/linux-arm64"
cp "$NATIVE"/*.node "$root/usr/bin/native/linux-arm64/"
[ -d "$PROMPTS" ] && cp -r "$PROMPTS" "$root/usr/bin/prompts"

# Kernel modules, flat, loaded by name by /init.
: >"$root/lib/modules/load-order"
for m in "${MODULES[@]}"; do
  f=$CACHE/kernel/modules/$m.ko
  [ -e "$f" ] || f=$f.xz
  [ -e "$f" ] || die "module $m missing from $CACHE/kernel/modules: rm -rf $CACHE/kernel and run again"
  case "$f" in *.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;; *) cp "$f" "$root/lib/modules/$m.ko" ;; esac
  echo "$m" >>"$root/lib/modules/load-order"
done

# rootfs/ of the repo: /init and /etc files.
cp "$REPO/rootfs/init" "$root/init"
chmod 755 "$root/init"
[ -d "$REPO/rootfs/etc" ] && cp -r "$REPO/rootfs/etc/." "$root/etc/"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "pbxgate-qemu" >"$root/etc/hostname"
printf '127.0.0.1 localhost\n10.0.2.15 pbxgate-qemu\n' >"$root/etc/hosts"

# Uncompressed: the kernel unpacks it fastest, and the executable (100 MB) hardly compresses.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >"$CACHE/initramfs.cpio.tmp"
mv "$CACHE/initramfs.cpio.tmp" "$CACHE/initramfs.cpio"
echo "$stamp" >"$CACHE/initramfs.stamp"
rm -rf "$root"
t1=$(date +%s.%N)
say "kernel $kver, initramfs $(du -m "$CACHE/initramfs.cpio" | cut -f1) MiB in $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s -> $CACHE"
