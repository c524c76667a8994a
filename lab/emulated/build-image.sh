#!/usr/bin/env bash
# Builds (or finds in the cache) the disk image, kernel and initramfs of an emulated DUT:
# Debian 12's packages for ARCH, unpacked without running their maintainer scripts (no
# qemu-user, no second stage: seconds instead of minutes), finished by this script and, at its
# first boot, by the guest itself (ldconfig). Prints the image directory.
#   lab/emulated/build-image.sh mipsel|arm64
# The cache key is the architecture, the package set and these scripts: a rebuild happens only
# when one of them changes. EDGEBENCH_LAB_CACHE moves the cache (default /var/cache/edgebench-lab).
set -euo pipefail

readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly ARCH=${1:-}
readonly MIRROR=${EDGEBENCH_LAB_MIRROR:-http://deb.debian.org/debian}
readonly SUITE=bookworm
readonly CACHE=${EDGEBENCH_LAB_CACHE:-/var/cache/edgebench-lab}/images

die() { echo "build-image: $*" >&2; exit 1; }
log() { echo "build-image: $*" >&2; }

# What a router-like DUT runs: busybox (applets, ash as root's shell), dropbear, LXC, the
# benchmark tools the paper used, perf. hpcc brings Open MPI. acct: BSD process accounting, by
# which bench/slow-dut.ts tells the CPU time of edgebench's shells from the tools'.
packages=(base-files libc6 libc-bin busybox dropbear-bin iproute2 lxc iperf3 nuttcp netperf lmbench hpcc linux-perf acct)
case $ARCH in
  mipsel)
    # The paper's lks7688 is a MIPS 24KEc; Malta is QEMU's board for it. Debian 12 has no
    # sysbench for mipsel: the lab builds it from Debian's source against these libraries.
    packages+=(linux-image-4kc-malta libluajit-5.1-2 libck0 libc6-dev libluajit-5.1-dev libck-dev)
    initrd_modules=(ata_piix ext4)
    triplet=mipsel-linux-gnu
    ;;
  arm64)
    packages+=(linux-image-arm64 sysbench)
    initrd_modules=(virtio_pci virtio_blk ext4)
    triplet=aarch64-linux-gnu
    ;;
  *) die "architecture '${ARCH}' is not one the lab emulates: mipsel or arm64" ;;
esac

key=$( { echo "$ARCH $SUITE ${packages[*]} ${initrd_modules[*]}"; cat "$HERE"/build-image.sh "$HERE"/build-sysbench.sh \
  "$HERE"/guest-boot.sh "$HERE"/initramfs-init.sh; } | sha256sum | cut -c1-12)
readonly OUT=$CACHE/$ARCH-$key
[[ -n ${EDGEBENCH_LAB_REBUILD:-} ]] && rm -f "$OUT/complete"
if [[ -f $OUT/complete ]]; then echo "$OUT"; exit 0; fi

[[ $(id -u) -eq 0 ]] || die "must run as root (the image's files belong to root)"
mkdir -p "$CACHE"
exec 8>"$CACHE/.build-$ARCH.lock"
flock 8
if [[ -f $OUT/complete ]]; then echo "$OUT"; exit 0; fi

readonly WORK=$CACHE/.work-$ARCH-$key
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK" "$OUT"
trap 'rm -rf "$WORK"' EXIT
readonly ROOT=$WORK/root

started=$SECONDS
log "unpacking Debian $SUITE $ARCH: ${packages[*]}"
mmdebstrap --quiet --mode=root --variant=extract --architectures="$ARCH" --components=main,non-free \
  --include="$(IFS=,; echo "${packages[*]}")" "$SUITE" "$ROOT" "$MIRROR" >&2 ||
  die "mmdebstrap could not fetch or unpack the $ARCH packages from $MIRROR"
# mmdebstrap leaves an x86 ld.so.cache; the guest writes its own at first boot
rm -f "$ROOT/etc/ld.so.cache"

kver=$(basename "$(ls -d "$ROOT"/lib/modules/* | head -n 1)")
[[ -n $kver ]] || die "no kernel modules in the $ARCH tree"
depmod -b "$ROOT" "$kver"

# A device whose tool cannot be built goes without it, as a router would: its sysbench jobs then
# fail as tool_missing. The manifest says why; EDGEBENCH_LAB_REBUILD=1 tries again.
sysbench_note="sysbench from Debian's package"
if [[ $ARCH == mipsel ]]; then
  log "building sysbench for $ARCH from Debian's source"
  if "$HERE/build-sysbench.sh" "$ARCH" "$ROOT" "$ROOT" "$WORK/sysbench" >/dev/null 2>"$WORK/sysbench.err"; then
    sysbench_note="sysbench cross-built from Debian's source"
  else
    sysbench_note="sysbench missing: $(grep "build-sysbench:" "$WORK/sysbench.err" | tail -n 1 | sed "s/ (full log: .*//")"
    log "WARNING: $sysbench_note"
    log "the $ARCH DUT will have no sysbench (its jobs fail as tool_missing)"
  fi
fi

# --- what a package's maintainer scripts would have done, for what the DUT needs ----------------
cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/ash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo 'root:*:19000:0:99999:7:::' >"$ROOT/etc/shadow"
chmod 600 "$ROOT/etc/shadow"
printf '/bin/sh\n/bin/ash\n' >"$ROOT/etc/shells"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ROOT/etc/hosts"
mkdir -p "$ROOT/root" "$ROOT/var/lib/lxc" "$ROOT/proc" "$ROOT/sys" "$ROOT/run" "$ROOT/seed"
chmod 700 "$ROOT/root"
# /bin/sh and root's shell are busybox, as on OpenWrt; every applet without a Debian binary of
# its own becomes a link (Debian's busybox has the same applets on every architecture)
ln -sfn busybox "$ROOT/bin/ash"
ln -sfn busybox "$ROOT/bin/sh"
busybox --list-full | while read -r applet; do
  [[ -e $ROOT/$applet || -L $ROOT/$applet ]] || ln -s /bin/busybox "$ROOT/$applet"
done
# update-alternatives, for what the tools need: hpcc runs under mpirun and links BLAS
alternative() { # link name target
  [[ -e $ROOT/$3 ]] || die "alternative $2: $3 is not in the $ARCH tree"
  ln -sfn "/$3" "$ROOT/etc/alternatives/$2"
  ln -sfn "/etc/alternatives/$2" "$ROOT/$1"
}
alternative usr/bin/mpirun mpirun usr/bin/mpirun.openmpi
alternative usr/bin/mpiexec mpiexec usr/bin/mpiexec.openmpi
alternative "usr/lib/$triplet/libblas.so.3" "libblas.so.3-$triplet" "usr/lib/$triplet/blas/libblas.so.3"
install -m 755 "$HERE/guest-boot.sh" "$ROOT/sbin/edgebench-boot"
cat >"$ROOT/etc/inittab" <<'EOF'
::sysinit:/sbin/edgebench-boot
::shutdown:/bin/umount -a -r
EOF

# --- kernel and initramfs: the initramfs loads the disk's driver and hands over to busybox init --
cp "$ROOT/boot/vmlinuz-$kver" "$OUT/kernel"
cp "$ROOT/boot/config-$kver" "$OUT/kernel-config"
initrd=$WORK/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,modules}
cp -a "$ROOT/bin/busybox" "$initrd/bin/"
for lib in $(readelf -d "$ROOT/bin/busybox" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  src=$(find "$ROOT/lib" "$ROOT/usr/lib" -maxdepth 2 -name "$lib" | head -n 1)
  [[ -n $src ]] || die "busybox needs $lib, which the $ARCH tree lacks"
  mkdir -p "$initrd/$(dirname "${src#"$ROOT"/}")"
  cp -L "$src" "$initrd/${src#"$ROOT"/}"
done
interp=$(readelf -l "$ROOT/bin/busybox" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
mkdir -p "$initrd/$(dirname "$interp")"
cp -L "$ROOT/$interp" "$initrd/$interp"
for m in "${initrd_modules[@]}"; do
  modprobe -d "$ROOT" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$initrd/modules/"
  basename "$ko" >>"$initrd/modules/order"
done
install -m 755 "$HERE/initramfs-init.sh" "$initrd/init"
(cd "$initrd" && find . | cpio --quiet -o -H newc | gzip -1) >"$OUT/initrd.gz"

# --- the root filesystem -----------------------------------------------------------------------
rm -rf "${ROOT:?}"/boot/* "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/usr/share/doc "$ROOT"/usr/share/man
used_mib=$(du -sm "$ROOT" | cut -f1)
mke2fs -q -t ext4 -L ebroot -d "$ROOT" "$OUT/rootfs.img" "$((used_mib + used_mib / 2 + 256))M" >&2 ||
  die "mke2fs could not write the root filesystem"
{
  echo "arch $ARCH"
  echo "kernel $kver"
  echo "packages ${packages[*]}"
  echo "$sysbench_note"
  echo "built $(date -u +%FT%TZ) in $((SECONDS - started)) s"
} >"$OUT/manifest"
touch "$OUT/complete"
log "image $OUT built in $((SECONDS - started)) s"
# older images of this architecture go, unless a lab's disk still has one as its backing file
for old in "$CACHE/$ARCH"-*; do
  [[ $old != "$OUT" ]] || continue
  grep -qxF "$old" "${EDGEBENCH_LAB_ROOT:-/var/lib/edgebench-lab}"/*/image 2>/dev/null || rm -rf "$old"
done
echo "$OUT"
