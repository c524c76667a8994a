# Sourced by lab/edgebench-lab: a DUT that is a full-system QEMU guest with its own kernel.
#
#   TM  = this host's namespace, interface eb-NAME (198.18.I.1/24)
#   lab namespace eb-NAME: a switch (sw0) joining the TM's veth (eth0) and QEMU's tap0; QEMU
#         runs here, so `down` ends it with everything else in the namespace
#   DUT = the guest: eth0 (QEMU's NIC) enslaved to br-lan (198.18.I.2/24), dropbear on :22 with
#         busybox ash as root's shell, LXC containers veth0 (.10), macvlan0 (.11) and pool0..
#
# The guest's root disk is a copy-on-write overlay of the cached image; a small seed disk carries
# what differs per lab (address, NIC driver, host key, root's authorized key).

# Per architecture: QEMU's machine, the paper's device it stands for, and its disk naming.
emu_arch_vars() {
  case $ARCH in
    mipsel)
      # lks7688 (MediaTek MT7688, MIPS 24KEc, 128 MiB): 24Kc has no FPU, as the paper's routers,
      # whose kernels emulate floating point
      QEMU=(qemu-system-mipsel -M malta -cpu 24Kc -vga none)
      EMU_MEM=${MEM:-256}
      EMU_CORES=1
      CONSOLE=ttyS0
      DISK_IF=ide
      ;;
    arm64)
      # Raspberry Pi 3 (Cortex-A53, 1 GiB); KASLR under TCG turns on page-table isolation and
      # makes every syscall 16x slower than on a real Pi: nokaslr
      QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a53)
      EMU_MEM=${MEM:-1024}
      EMU_CORES=${CORES:-$(default_cores)}
      CONSOLE=ttyAMA0
      DISK_IF=virtio
      ;;
  esac
}

# A guest vCPU needs a host core of its own (four vCPUs on one core are slower than one), and
# the TM needs one for the exporter and the clients: at most 4, at most the host's cores - 1.
default_cores() {
  local n
  n=$(($(nproc) - 1))
  ((n > 4)) && n=4
  ((n < 1)) && n=1
  echo "$n"
}

emu_network() {
  ip netns list | grep -qw "^$NS" || ip netns add "$NS"
  if ! ip link show "$TM_IF" >/dev/null 2>&1; then
    ip link add "$TM_IF" type veth peer name eth0 netns "$NS"
  fi
  ip addr replace "$TM_ADDR/24" dev "$TM_IF"
  ip link set "$TM_IF" up
  in_ns ip link set lo up
  in_ns ip link show sw0 >/dev/null 2>&1 || in_ns ip link add sw0 type bridge
  in_ns ip link show tap0 >/dev/null 2>&1 || in_ns ip tuntap add tap0 mode tap
  local dev
  for dev in eth0 tap0; do in_ns ip link set "$dev" master sw0; in_ns ip link set "$dev" up; done
  in_ns ip link set sw0 up
}

emu_seed() {
  local seed=$DIR/seed
  rm -rf "$seed"
  mkdir -p "$seed"
  cp "$DIR/dut-hostkey" "$seed/dropbear_host_key"
  cp "$DIR/tm-key.pub" "$seed/authorized_keys"
  printf 'EB_HOSTNAME=%s\nEB_ADDR=%s/24\nEB_NIC_MODULE=pcnet32\n' "lab-$NAME" "$DUT_ADDR" >"$seed/env"
  rm -f "$DIR/seed.img"
  mke2fs -q -t ext2 -L ebseed -d "$seed" "$DIR/seed.img" 4M >&2
}

qemu_running() {
  [[ -f $DIR/qemu.pid ]] && kill -0 "$(cat "$DIR/qemu.pid")" 2>/dev/null
}

emu_start() {
  qemu_running && return
  # a new image (new packages, new scripts) starts from a fresh overlay
  if [[ ! -f $DIR/rootfs.qcow2 || $(cat "$DIR/image" 2>/dev/null) != "$IMAGE" ]]; then
    rm -f "$DIR/rootfs.qcow2"
    qemu-img create -q -f qcow2 -F raw -b "$IMAGE/rootfs.img" "$DIR/rootfs.qcow2"
    echo "$IMAGE" >"$DIR/image"
  fi
  emu_seed
  : >"$DIR/console.log"
  # pcnet: a 10/100-class link (165-250 Mbit/s here), the world of the paper's devices;
  # tb-size bounds QEMU's translation cache (1.3 GB of RSS without it)
  in_ns "${QEMU[@]}" -m "$EMU_MEM" -smp "$EMU_CORES" -accel tcg,tb-size=256 \
    -display none -monitor none -serial "file:$DIR/console.log" \
    -kernel "$IMAGE/kernel" -initrd "$IMAGE/initrd.gz" \
    -append "console=$CONSOLE root=LABEL=ebroot eb.seed=LABEL=ebseed net.ifnames=0 nokaslr quiet" \
    -drive "file=$DIR/rootfs.qcow2,if=$DISK_IF,format=qcow2" \
    -drive "file=$DIR/seed.img,if=$DISK_IF,format=raw" \
    -netdev tap,id=lan,ifname=tap0,script=no,downscript=no -device pcnet,netdev=lan \
    -daemonize -pidfile "$DIR/qemu.pid" 9>&- || die "QEMU did not start (see above)"
}

dut_ssh() {
  ssh -i "$DIR/tm-key" -o BatchMode=yes -o UserKnownHostsFile="$DIR/known_hosts" \
    -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -o LogLevel=ERROR "root@$DUT_ADDR" "$@"
}

# A cold boot takes 8-17 s on a quiet machine; minutes on a loaded one.
emu_wait_ssh() {
  local deadline=$((SECONDS + ${EDGEBENCH_LAB_BOOT_TIMEOUT:-300}))
  while ((SECONDS < deadline)); do
    qemu_running || die "QEMU exited during boot; its console: $DIR/console.log"$'\n'"$(tail -n 20 "$DIR/console.log")"
    dut_ssh true 2>/dev/null && return
    sleep 2
  done
  die "the $ARCH guest did not answer SSH within ${EDGEBENCH_LAB_BOOT_TIMEOUT:-300} s; its console: $DIR/console.log"$'\n'"$(tail -n 20 "$DIR/console.log")"
}

emu_containers() {
  dut_ssh sh -s -- "$GUEST_LXCPATH" "$NET" "$VETH_ADDR" "$MACVLAN_ADDR" "$POOL" <"$HERE/emulated/guest-containers.sh" ||
    die "the containers did not start on the $ARCH guest"
}

# The guest's own tool paths: lmbench's directory differs between architectures.
emu_tool_paths() {
  GUEST_STREAM=$(dut_ssh 'ls /usr/lib/lmbench/bin/*/stream /usr/lib/lmbench/bin/stream 2>/dev/null | head -n 1')
  [[ -n $GUEST_STREAM ]] || die "lmbench's stream is not on the $ARCH guest"
  # QEMU's Cortex-A53 reports no cache sizes to Debian's kernel, so STREAM cannot size its arrays
  # from them (and says so): give it 8 MiB, 16 times a Pi 3's 512 KiB L2
  GUEST_ARRAY_MIB=""
  [[ -n $(dut_ssh 'cat /sys/devices/system/cpu/cpu0/cache/index*/size 2>/dev/null') ]] || GUEST_ARRAY_MIB=8
}

emu_up() {
  emu_arch_vars
  GUEST_LXCPATH=/var/lib/edgebench/lxc
  emu_network
  ensure_keys
  # the lab lock guards the subnet allocation, done by now: other labs need not wait for an image
  # build or a boot (the image build has its own lock)
  flock -u 9
  IMAGE=$("$HERE/emulated/build-image.sh" "$ARCH") || die "the $ARCH image could not be built"
  emu_start
  emu_wait_ssh
  emu_containers
  emu_tool_paths
}

# What write_config writes differently for an emulated DUT: the guest's tool paths and LXC path,
# and sizes a slow CPU finishes (a 24Kc emulating its FPU in the kernel runs hpcc at well under
# 1 MFLOPS). Sets write_config's locals (bash's dynamic scope).
emu_config_vars() {
  about=" ($ARCH, emulated by QEMU)"
  purpose="Sizes and durations a slow emulated CPU finishes in minutes; the paper ran each test 50 times."
  interval=1h
  reps="{ min: 3, max: 5, max_rsd_percent: 10 }"
  lxc_path=$GUEST_LXCPATH
  stream=$GUEST_STREAM
  array_mib=$GUEST_ARRAY_MIB
  block_size=32
  case $ARCH in
    mipsel) events=100 n=100 timeout=10m ;;
    arm64) events=1000 n=500 timeout=5m ;;
  esac
  cpu_timeout=$timeout
}
