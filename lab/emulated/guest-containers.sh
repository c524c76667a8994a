#!/bin/sh
# Runs on an emulated DUT (busybox ash), fed over SSH by edgebench-lab: creates and starts the
# lab's LXC containers, as lab/edgebench-lab does on the one-host lab.
#   sh -s -- LXCPATH NET VETH_ADDR MACVLAN_ADDR POOL
# A container's rootfs is a few files plus the guest's /bin, /sbin, /lib and /usr, read-only:
# the tools are the same binaries as native, so a difference measured is the container's.
set -eu
lxcpath=$1 net=$2 veth_addr=$3 macvlan_addr=$4 pool=$5

container() { # name kind [address] [stopped]
  name=$1 kind=$2 addr=${3:-} state=${4:-running}
  dir=$lxcpath/$name
  root=$dir/rootfs
  mkdir -p "$root/bin" "$root/sbin" "$root/lib" "$root/usr" "$root/etc/alternatives" \
    "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/root" "$root/run" "$root/var/tmp"
  for f in passwd group shadow hosts ld.so.cache; do [ ! -e "/etc/$f" ] || cp "/etc/$f" "$root/etc/$f"; done
  echo "$name" >"$root/etc/hostname"
  # busybox init brings loopback up (LXC leaves it down; Open MPI needs it) and then only reaps
  printf '::sysinit:/sbin/ip link set lo up\n::shutdown:/bin/true\n' >"$root/etc/inittab"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  {
    echo "lxc.uts.name = $name"
    echo "lxc.rootfs.path = dir:$root"
    echo "lxc.mount.auto = proc:mixed sys:ro cgroup:mixed"
    echo "lxc.autodev = 1"
    for d in bin sbin lib usr etc/alternatives; do echo "lxc.mount.entry = /$d $d none ro,bind 0 0"; done
    echo "lxc.mount.entry = tmpfs tmp tmpfs rw,nosuid,nodev,mode=1777 0 0"
    echo "lxc.init.cmd = /bin/busybox init"
    echo "lxc.signal.halt = SIGUSR2"
    echo "lxc.apparmor.profile = unconfined"
    echo "lxc.tty.max = 0"
    echo "lxc.pty.max = 8"
    echo "lxc.log.file = $dir/lxc.log"
    echo "lxc.log.level = WARN"
    case $kind in
      veth) printf 'lxc.net.0.type = veth\nlxc.net.0.link = br-lan\nlxc.net.0.veth.pair = veth-%s\n' "$name" ;;
      macvlan) printf 'lxc.net.0.type = macvlan\nlxc.net.0.macvlan.mode = bridge\nlxc.net.0.link = br-lan\n' ;;
      none) echo "lxc.net.0.type = empty" ;;
    esac
    if [ "$kind" != none ]; then
      printf 'lxc.net.0.name = eth0\nlxc.net.0.flags = up\nlxc.net.0.ipv4.address = %s/24 %s.255\n' "$addr" "$net"
    fi
  } >"$dir/config"
  if [ "$state" = stopped ]; then
    lxc-stop -P "$lxcpath" -n "$name" -k 2>/dev/null || true
    return
  fi
  if [ "$(lxc-info -P "$lxcpath" -n "$name" -sH 2>/dev/null)" != RUNNING ]; then
    lxc-start -P "$lxcpath" -n "$name" || { echo "container $name did not start:"; cat "$dir/lxc.log"; exit 1; } >&2
  fi
  lxc-wait -P "$lxcpath" -n "$name" -s RUNNING -t 60 || { echo "container $name is not RUNNING" >&2; exit 1; }
}

container veth0 veth "$veth_addr"
container macvlan0 macvlan "$macvlan_addr"
i=0
while [ "$i" -lt "$pool" ]; do
  container "pool$i" none
  i=$((i + 1))
done
# lxc_startup's own: it starts and stops it
container startup0 none "" stopped
