// How large STREAM's arrays are with `array_mib: auto`. The paper's rule (each array at least 4x
// the largest cache) is bounded on both sides by what the device and lmbench can do: a VM reporting
// a 260 MB cache must not ask lmbench for more than its C int holds or the DUT for more memory than
// it has, and QEMU's MIPS 24Kc (2 KB L1, no L2) must not get arrays so small that lmbench times its
// own loop. Whenever a bound wins over the rule, a note says which and why.

const MIB = 1024 * 1024;

/**
 * lmbench 3.0-a9 keeps -M (the three arrays together) in a C int: measured on Debian's x86_64
 * build, `-M 2147M` runs and `-M 2148M` prints "inf nanoseconds" and 0.00 MB/sec. 2047M is below
 * 2^31 bytes whether lmbench reads M as 10^6 or 2^20.
 */
export const LMBENCH_MAX_TOTAL_MIB = 2047;
export const LMBENCH_MAX_ARRAY_MIB = Math.floor(LMBENCH_MAX_TOTAL_MIB / 3);

/**
 * Far past any L1 and past the L2 of the paper's SoCs (512 KB on a Raspberry Pi 3, 256 KB on an
 * MT7621): with less, lmbench measures its loop (STREAM2 copy on an emulated 24Kc: 3.6 MB/s with
 * -M 24K against 8.8 MB/s with -M 8M).
 */
export const MIN_AUTO_ARRAY_MIB = 2;

/** The three arrays take at most this share of the DUT's available memory: the rest is the device's. */
const MEMORY_SHARE = 0.5;

/**
 * The DUT's available memory, read with builtins: MemAvailable (Linux >= 3.14), else MemFree
 * (older kernels, such as some vendor router kernels), as /proc/meminfo prints it ("MemFree: 123 kB").
 */
export const MEMORY_SCRIPT = [
  'f=',
  '[ ! -r /proc/meminfo ] || while read -r k v _; do case $k in MemAvailable:) f=; echo "$k $v"; break ;; MemFree:) f="$k $v" ;; esac; done </proc/meminfo',
  '[ -z "$f" ] || echo "$f"',
].join('\n');

const MEMORY_LINE = /^(MemAvailable|MemFree): (\d{1,15})$/;

/** Splits the job's probe output into the memory line's bytes (undefined without one) and the rest. */
export function splitMemoryLine(text: string): { memoryBytes: number | undefined; rest: string } {
  let memoryBytes: number | undefined;
  const rest: string[] = [];
  for (const line of text.split('\n')) {
    const m = MEMORY_LINE.exec(line.trim());
    if (m) memoryBytes = Number(m[2]) * 1024;
    else rest.push(line);
  }
  return { memoryBytes, rest: rest.join('\n') };
}

export interface ArraySize {
  mib: number;
  /** Why the size is not the rule's: for the log and the journal. */
  notes: string[];
}

/** Each array's MiB for the largest cache and the DUT's available memory (bytes, when known). */
export function autoArrayMib(cacheBytes: number, cacheMultiple: number, memoryBytes: number | undefined): ArraySize {
  const rule = Math.ceil((cacheMultiple * cacheBytes) / MIB);
  const kib = (b: number) => `${Math.round(b / 1024)} KiB`;
  const notes: string[] = [];
  let mib = rule;
  if (mib < MIN_AUTO_ARRAY_MIB) {
    mib = MIN_AUTO_ARRAY_MIB;
    notes.push(
      `array ${mib} MiB, not ${cacheMultiple} x the largest cache (${kib(cacheBytes)}): below ${MIN_AUTO_ARRAY_MIB} MiB lmbench times its own loop`,
    );
  }
  if (mib > LMBENCH_MAX_ARRAY_MIB) {
    notes.push(
      `array ${LMBENCH_MAX_ARRAY_MIB} MiB, below ${cacheMultiple} x the largest cache (${rule} MiB): lmbench holds -M (3 arrays) in a C int, at most ${LMBENCH_MAX_TOTAL_MIB}M`,
    );
    mib = LMBENCH_MAX_ARRAY_MIB;
  }
  if (memoryBytes !== undefined) {
    const fits = Math.floor((memoryBytes * MEMORY_SHARE) / 3 / MIB);
    if (fits < 1) {
      throw new Error(`the DUT has ${kib(memoryBytes)} of memory available: not enough for three 1 MiB arrays; set array_mib`);
    }
    if (mib > fits) {
      notes.push(
        `array ${fits} MiB, below ${mib} MiB: the three arrays may take at most half of the DUT's available memory (${kib(memoryBytes)})`,
      );
      mib = fits;
    }
  }
  return { mib, notes };
}
