#!/usr/bin/env bash
# Cross-builds sysbench for a Debian 12 guest from Debian's own source package (bookworm's
# 1.0.20+ds-5, Debian's patches applied) with Debian's cross toolchain, as an OpenWrt user builds a
# missing tool with the SDK: bookworm ships no sysbench binary for mipsel, but does ship LuaJIT and
# libck for it. Prints the binary's path; progress goes to stderr, the build's output to
# WORKDIR/build.log. Installs the host packages it lacks (as root).
#   lab/emulated/build-sysbench.sh ARCH SYSROOT DESTDIR WORKDIR
# ARCH: a Debian architecture (mipsel; arm64 and armhf take the same path). SYSROOT: the target's
# packages unpacked, with libc6-dev, libluajit-5.1-dev and libck-dev. The result,
# DESTDIR/usr/local/bin/sysbench, links dynamically against the sysroot's libluajit-5.1.so.2 and
# libc (the guest has them; a static glibc would break LuaJIT's FFI, which dlopens). The cpu, memory,
# threads, mutex and fileio tests are built in and its own Lua code is compiled into it, so no
# script is installed: the oltp ones would need a database driver, which this build leaves out.
# EDGEBENCH_LAB_MIRROR: another Debian mirror. FORCE=1: rebuild even if the binary is up to date.
set -euo pipefail

die() { echo "build-sysbench: $*" >&2; exit 1; }
say() { echo "build-sysbench: $*" >&2; }

(($# == 4)) || die "usage: build-sysbench.sh ARCH SYSROOT DESTDIR WORKDIR"
arch=$1
sysroot=$(realpath -e "$2" 2>/dev/null) || die "no sysroot at '$2'"
destdir=$(realpath -m "$3")
work=$(realpath -m "$4")
out=$destdir/usr/local/bin/sysbench
if [[ -z ${FORCE:-} && -x $out && $out -nt ${BASH_SOURCE[0]} ]]; then
  echo "$out"
  exit 0
fi

readonly VERSION=1.0.20+ds-5
# the .dsc's SHA-256 as bookworm's signed Sources index gives it; dpkg-source then checks the
# tarballs against the .dsc, so plain HTTP is enough
readonly DSC_SHA256=00f1cecf08e6b6b8ab752ceb23052f23cf12484b950d95c94b51d1d7f6fd4ba2
readonly POOL=${EDGEBENCH_LAB_MIRROR:-http://deb.debian.org/debian}/pool/main/s/sysbench

mkdir -p "$work/dl"
log=$work/build.log
: >"$log"
# STEP CMD...: the command's output goes to the log; if it fails, the end of that output goes to
# stderr
run() {
  local step=$1 from
  shift
  from=$(stat -c %s "$log")
  "$@" >>"$log" 2>&1 || { tail -c +$((from + 1)) "$log" | tail -n 25 >&2; die "$step failed (full log: $log)"; }
}

install_missing() {
  local p missing=()
  for p; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || die "missing host packages (${missing[*]}): run as root or install them"
  say "installing ${missing[*]}"
  run "apt-get update" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run "apt-get install ${missing[*]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_missing dpkg-dev
triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null) ||
  die "'$arch' is not a Debian architecture"
multiarch=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
# xxd: the build embeds sysbench's own Lua code into the binary with `xxd -i`
install_missing "gcc-$triplet" make autoconf automake libtool pkgconf xz-utils xxd curl
for pc in luajit ck; do
  [[ -f $sysroot/usr/lib/$multiarch/pkgconfig/$pc.pc ]] ||
    die "$sysroot has no $pc.pc for $arch: unpack libluajit-5.1-dev and libck-dev into it"
done

# --- Debian's source package --------------------------------------------------------------------
dsc=sysbench_$VERSION.dsc
fetch() {
  [[ -s $work/dl/$1 ]] && return 0
  say "downloading $1"
  run "downloading $POOL/$1" curl -fsSL --retry 3 -o "$work/dl/$1.part" "$POOL/$1"
  mv "$work/dl/$1.part" "$work/dl/$1"
}
fetch "$dsc"
echo "$DSC_SHA256  $work/dl/$dsc" | sha256sum -c --quiet >/dev/null 2>&1 ||
  { rm -f "$work/dl/$dsc"; die "$dsc from $POOL is not bookworm's (its SHA-256 differs; deleted)"; }
mapfile -t files < <(awk '/^Checksums-Sha256:/ {on = 1; next} /^[^ ]/ {on = 0} on {print $3}' "$work/dl/$dsc")
for f in "${files[@]}"; do
  fetch "$f"
done
src=$work/sysbench-$VERSION
rm -rf "$src" "$work/stage"
say "unpacking and patching the source"
run "dpkg-source -x (checksums, Debian's patches)" dpkg-source -x "$work/dl/$dsc" "$src"
cd "$src"
run "autoreconf" autoreconf -fi

# --- the toolchain against the sysroot ----------------------------------------------------------
cc=("$triplet-gcc" --sysroot="$sysroot")
# luajit's and libc's own dependencies are found through the sysroot's library directories, which
# may be /lib and /usr/lib apart (not merged-/usr)
ldflags="-Wl,-rpath-link,$sysroot/lib/$multiarch:$sysroot/usr/lib/$multiarch"
printf 'int main(void) { return 0; }\n' >"$work/probe.c"
run "linking a test program with $triplet-gcc against $sysroot" "${cc[@]}" "$ldflags" "$work/probe.c" -o "$work/probe"
libs=()
# Without 64-bit atomic instructions (MIPS32, ARMv5) GCC turns libck's 64-bit __sync builtins into
# calls to __sync_*_8, which nothing provides: sysbench's counters would not link (likely why
# bookworm, which has all its build-dependencies on mipsel, has no mipsel sysbench). Provide them
# over libatomic's lock-based __atomic_*_8, linked in statically: the guest needs no libatomic1.
printf 'unsigned long long x; int main(void) { return (int)__sync_fetch_and_add(&x, 1); }\n' >"$work/probe.c"
if ! "${cc[@]}" "$ldflags" "$work/probe.c" -o "$work/probe" >>"$log" 2>&1; then
  say "$triplet has no 64-bit __sync builtins: adding them over libatomic"
  cat >"$work/sync8.c" <<'EOF'
#include <stdbool.h>
#include <stdint.h>
#define RMW(op) uint64_t __sync_fetch_and_##op##_8(volatile void *p, uint64_t v) \
  { return __atomic_fetch_##op((volatile uint64_t *)p, v, __ATOMIC_SEQ_CST); }
#define RMWF(op) uint64_t __sync_##op##_and_fetch_8(volatile void *p, uint64_t v) \
  { return __atomic_##op##_fetch((volatile uint64_t *)p, v, __ATOMIC_SEQ_CST); }
RMW(add) RMW(sub) RMW(and) RMW(or) RMW(xor) RMWF(add) RMWF(sub) RMWF(and) RMWF(or) RMWF(xor)
uint64_t __sync_lock_test_and_set_8(volatile void *p, uint64_t v)
  { return __atomic_exchange_n((volatile uint64_t *)p, v, __ATOMIC_ACQUIRE); }
uint64_t __sync_val_compare_and_swap_8(volatile void *p, uint64_t old, uint64_t new)
  { __atomic_compare_exchange_n((volatile uint64_t *)p, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return old; }
bool __sync_bool_compare_and_swap_8(volatile void *p, uint64_t old, uint64_t new)
  { return __atomic_compare_exchange_n((volatile uint64_t *)p, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
EOF
  run "compiling the 64-bit __sync shim" "${cc[@]}" -O2 -c "$work/sync8.c" -o "$work/sync8.o"
  libatomic=$("${cc[@]}" -print-file-name=libatomic.a)
  [[ -f $libatomic ]] || die "$triplet-gcc has no libatomic.a"
  libs=("$work/sync8.o" "$libatomic")
  run "linking with the 64-bit __sync shim" "${cc[@]}" "$ldflags" "$work/probe.c" "${libs[@]}" -o "$work/probe"
fi

# --- configure, build, install ------------------------------------------------------------------
# pkg-config reads the sysroot's .pc files only, and prefixes their paths with the sysroot
export PKG_CONFIG=pkg-config PKG_CONFIG_PATH='' PKG_CONFIG_SYSROOT_DIR=$sysroot \
  PKG_CONFIG_LIBDIR=$sysroot/usr/lib/$multiarch/pkgconfig:$sysroot/usr/share/pkgconfig
aio=--disable-aio
[[ -f $sysroot/usr/include/libaio.h ]] && aio=--enable-aio
say "configuring for $triplet"
# The ac_cv_* answer the run-time checks that configure cannot run on the build machine (it would
# assume the worst: rpl_malloc, no mmap, no TLS); glibc passes them all. --without-gcc-arch keeps
# the build machine's CPU out of the flags.
run configure ./configure --host="$triplet" --prefix=/usr/local \
  --without-mysql --without-pgsql --with-system-luajit --with-system-ck --without-gcc-arch "$aio" \
  CC="${cc[*]}" LDFLAGS="$ldflags" LIBS="${libs[*]}" \
  ac_cv_func_malloc_0_nonnull=yes ac_cv_func_realloc_0_nonnull=yes \
  ac_cv_func_mmap_fixed_mapped=yes ac_cv_tls=__thread
say "building"
run make make -j"$(nproc)"
run "make install" make install DESTDIR="$work/stage"
mkdir -p "$(dirname "$out")"
run "installing the binary" install -m 0755 -s --strip-program="$triplet-strip" \
  "$work/stage/usr/local/bin/sysbench" "$out.new"

# A cross build can link and still not run: try it under user-mode QEMU when the host has it,
# before it takes the place of a good binary.
qemu=qemu-${triplet%%-*}-static
if command -v "$qemu" >/dev/null; then
  say "smoke test under $qemu"
  run "the smoke test ($qemu -L $sysroot $out.new cpu run)" \
    "$qemu" -L "$sysroot" "$out.new" cpu --cpu-max-prime=100 --events=20 --threads=2 run
else
  say "no $qemu on this host: smoke test skipped"
fi
mv -f "$out.new" "$out"
echo "$out"
