#!/usr/bin/env bash
# Installs, from Debian's packages, what the lab and the exporter need on the test machine
# (`serve`), and with `test` (the default) what the tests and benchmarks need besides. netperf and
# lmbench live in `non-free`, which is enabled here. Idempotent.
#   lab/install-deps.sh [serve|emulated|test]
set -euo pipefail

packages=(
  # the lab: namespaces, bridge, shaping, LXC, OpenWrt's SSH server and shell
  iproute2 lxc dropbear-bin busybox openssh-client procps psmisc
  # benchmark tools, on the DUT side (the lab's DUTs share this host's /usr) and the TM side
  sysbench iperf3 nuttcp netperf lmbench hpcc linux-perf
)
# lab/edgebench-lab up --arch: QEMU, Debian's packages for the guest unpacked by mmdebstrap, its
# disk and initramfs made on the host, and the cross toolchain sysbench is built with for mipsel
emulated=(qemu-system-mips qemu-system-arm qemu-utils mmdebstrap e2fsprogs cpio kmod binutils
  gcc-mipsel-linux-gnu make autoconf automake libtool pkgconf dpkg-dev xz-utils xxd curl)
case ${1:-test} in
  serve) ;;
  emulated) packages+=("${emulated[@]}") ;;
  test)
    packages+=("${emulated[@]}"
      # bench/footprint.ts: every program the DUT executes, by strace
      strace
      # test/e2e/faults-hostile-ssh.test.ts: a lab DUT whose packets are dropped (nft in its namespace)
      nftables
      # promtool, the real Prometheus and Alertmanager for the tests; docker-compose only checks the
      # compose file (this machine has no Docker engine)
      prometheus prometheus-alertmanager docker-compose
    )
    ;;
  *)
    echo "usage: lab/install-deps.sh [serve|emulated|test]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing Debian packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

# Enable non-free next to main (deb822 sources on Debian 12, one-line sources elsewhere).
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  sed -i -E '/^Components:/{/non-free( |$)/!s/ main( |$)/ main non-free\1/}' /etc/apt/sources.list.d/debian.sources
fi
if [[ -f /etc/apt/sources.list ]]; then
  sed -i -E '/^deb .*debian/{/non-free( |$)/!s/ main( |$)/ main non-free\1/}' /etc/apt/sources.list
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
