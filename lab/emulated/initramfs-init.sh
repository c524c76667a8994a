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
# By label: the disks' names follow the order their probes finish in, which varies (the seed
# disk came up as sda in 3 of 11 boots). The disk appears once its driver has probed the bus.
dev=
n=0
while [ $n -lt 100 ]; do
  case $root in LABEL=*) dev=$(findfs "$root" 2>/dev/null) ;; *) dev=$root ;; esac
  [ -b "$dev" ] && break
  sleep 0.1
  n=$((n + 1))
done
if ! mount -t ext4 "$dev" /newroot; then
  echo "initramfs: cannot mount root '$root'" >/dev/console
  exec sh
fi
mount --move /dev /newroot/dev
umount /sys /proc
exec switch_root /newroot /sbin/init
