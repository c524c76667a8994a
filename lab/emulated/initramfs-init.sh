#!/bin/busybox sh
# The emulated DUT's initramfs: load the disk's driver and filesystem (Debian builds them as
# modules), mount the root named by root= and hand over to busybox init.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod "/modules/$m" || echo "initramfs: insmod $m failed" >/dev/console; done

root=
for arg in $(cat /proc/cmdline); do
  case $arg in root=*) root=${arg#root=} ;; esac
done
# the disk appears once its driver has probed the bus
n=0
while [ ! -b "$root" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if ! mount -t ext4 "$root" /newroot; then
  echo "initramfs: cannot mount root '$root'" >/dev/console
  exec sh
fi
mount --move /dev /newroot/dev
umount /sys /proc
exec switch_root /newroot /sbin/init
