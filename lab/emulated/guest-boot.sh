#!/bin/sh
# busybox init's sysinit on an emulated DUT: what OpenWrt's boot does for the paper's routers.
# The lab's seed disk (eb.seed= on the kernel command line) carries what differs per lab: the
# address, the NIC driver, the SSH host key and root's authorized key.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec >/dev/console 2>&1
say() { echo "edgebench-boot: $*"; }

mount -o remount,rw /
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup

seed=
for arg in $(cat /proc/cmdline); do
  case $arg in eb.seed=*) seed=${arg#eb.seed=} ;; esac
done
case $seed in LABEL=*) seed=$(findfs "$seed") ;; esac
mount -o ro "$seed" /seed || { say "no seed disk at '$seed'"; exit 1; }
. /seed/env

hostname "$EB_HOSTNAME"
# without udev nothing loads drivers: the NIC, and what LXC's networks need
for m in $EB_NIC_MODULE bridge veth macvlan; do modprobe "$m" || say "modprobe $m failed"; done
[ -f /etc/ld.so.cache ] || ldconfig

# eth0 is a port of br-lan, which holds the DUT's address: OpenWrt's LAN, and the bridge the
# containers' veth and macvlan interfaces attach to
ip link set lo up
ip link add br-lan type bridge
ip link set eth0 master br-lan
ip link set eth0 up
ip addr add "$EB_ADDR" dev br-lan
ip link set br-lan up

mkdir -p /root/.ssh
cp /seed/authorized_keys /root/.ssh/authorized_keys
chmod 700 /root/.ssh
chmod 600 /root/.ssh/authorized_keys
dropbear -r /seed/dropbear_host_key -p 22 -s -g -P /run/dropbear.pid || say "dropbear did not start"
say "up: $EB_HOSTNAME $EB_ADDR"
