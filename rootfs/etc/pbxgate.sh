#!/bin/sh
# Run by busybox init (respawn). Output goes to the kernel console (ttyAMA0),
# which the host logs to a file: "pbxgate ... ready" is what it waits for.
echo "hil: starting pbxgate (uptime $(cut -d" " -f1 /proc/uptime) s)"
cd /data
exec /usr/bin/pbxgate --board qemu-virt
