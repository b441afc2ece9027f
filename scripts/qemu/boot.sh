#!/usr/bin/env bash
# Boots the HIL image (scripts/qemu/build-image.sh) under qemu-system-aarch64,
# inside a new network namespace (unshare -n) so that nothing leaves loopback:
# slirp's port forwards listen on that namespace's 127.0.0.1, and whatever
# talks to them must enter it too: nsenter --net=/proc/<qemu pid>/ns/net ...
# The process keeps its PID through every exec: the PID spawned is QEMU's, and
# QEMU gets SIGTERM if its parent dies.
#
# Usage: scripts/qemu/boot.sh --dir RUN_DIR [--sip-port 5060] [--http-port 8080]
#          [--modem server|client] [--no-reboot] [--smp N]
# RUN_DIR receives (see docs/hil.md):
#   console.sock  technician console, guest /dev/hvc0 (virtconsole)   QEMU listens
#   modem.sock    modem line, guest /dev/ttyS0 (pci-serial)           QEMU listens,
#                 or with --modem client QEMU connects to it (the simulator listens first)
#   qmp.sock      QMP (system_powerdown pulses PL061 line 3 = reset button)
#   shell.sock    guest root shell on ttyAMA0, the kernel console
#   kernel.log    everything ttyAMA0 printed: kernel, /init, pbxgate's stdout
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$REPO/.cache/qemu
dir='' sip=5060 http=8080 modem=server noreboot=() smp=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --sip-port) sip=$2; shift 2 ;;
    --http-port) http=$2; shift 2 ;;
    --modem) modem=$2; shift 2 ;;
    --no-reboot) noreboot=(-no-reboot); shift ;;
    --smp) smp=$2; shift 2 ;;
    *) echo "boot.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$dir" ] || { echo "boot.sh: --dir RUN_DIR is required" >&2; exit 2; }
[ -f "$CACHE/initramfs.cpio" ] || { echo "boot.sh: no image: run scripts/qemu/build-image.sh" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -f "$dir"/{console,modem,qmp,shell}.sock

case "$modem" in
  server) modem_chardev="socket,id=modem,path=$dir/modem.sock,server=on,wait=off" ;;
  # reconnect: the simulator may be restarted by a test (a modem "power cycle").
  client) modem_chardev="socket,id=modem,path=$dir/modem.sock,reconnect=1" ;;
  *) echo "boot.sh: --modem server|client" >&2; exit 2 ;;
esac

qemu=(
  qemu-system-aarch64 -M virt -cpu cortex-a53 -smp "$smp" -m 512
  -nodefaults -display none -no-user-config "${noreboot[@]}"
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio"
  -append "console=ttyAMA0 rdinit=/init quiet loglevel=4"
  # Kernel console: logged whole to kernel.log, and a shell socket for a human or a test.
  -chardev "socket,id=shell,path=$dir/shell.sock,server=on,wait=off,logfile=$dir/kernel.log"
  -serial chardev:shell
  # No restrict=on: it drops the UDP replies. romfile=: no iPXE ROM needed (no PXE boot).
  -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$sip-10.0.2.15:5060,hostfwd=tcp:127.0.0.1:$sip-10.0.2.15:5060,hostfwd=tcp:127.0.0.1:$http-10.0.2.15:80"
  -device virtio-net-pci,netdev=n0,romfile=
  -device virtio-serial-pci,romfile=
  -chardev "socket,id=console,path=$dir/console.sock,server=on,wait=off"
  -device virtconsole,chardev=console
  -chardev "$modem_chardev"
  -device pci-serial,chardev=modem
  -device virtio-rng-pci,romfile=
  -qmp "unix:$dir/qmp.sock,server=on,wait=off"
)
# lo must be up in the new namespace for the forwards (and the tools entering it).
# --pdeathsig: QEMU ends with whoever started it (a test runner killed on
# timeout leaves no VM behind); it survives the execs, so the PID is kept.
exec setpriv --pdeathsig TERM unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${qemu[@]}"
