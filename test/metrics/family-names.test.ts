// Metric names without traps: the unit last in every family /metrics declares, one meaning per
// label name, and docs/metrics.md's table of renamed families true to what is exported.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarks } from '../../src/benchmarks/index.js';
import { dutFamilies } from '../../src/metrics/dut-families.js';
import { stddevFamily } from '../../src/metrics/family-names.js';

const root = join(import.meta.dirname, '../..');
const declared = dutFamilies.map((f) => /^# TYPE (\S+) /m.exec(f.header)?.[1] as string);
const results = benchmarks.flatMap((b) => b.families.map((f) => f.name));

/** The rows of docs/metrics.md's "Renamed in this version" table whose both cells are one family name. */
function renamedInDocs(): [string, string][] {
  const doc = readFileSync(join(root, 'docs/metrics.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Renamed in this version'));
  return [...section.matchAll(/^\| `(edgebench_[a-z0-9_]+)` \| `(edgebench_[a-z0-9_]+)` \|/gm)].map(
    (m) => [m[1], m[2]] as [string, string],
  );
}

describe('family names', () => {
  it('put _stddev before the unit, which stays last', () => {
    expect(Object.fromEntries(results.map((f) => [f, stddevFamily(f)]))).toMatchObject({
      edgebench_sysbench_cpu_duration_seconds: 'edgebench_sysbench_cpu_duration_stddev_seconds',
      edgebench_linpack_flops: 'edgebench_linpack_stddev_flops',
      edgebench_stream_bandwidth_bytes_per_second: 'edgebench_stream_bandwidth_stddev_bytes_per_second',
      edgebench_nuttcp_goodput_bytes_per_second: 'edgebench_nuttcp_goodput_stddev_bytes_per_second',
      edgebench_perf_branch_misses: 'edgebench_perf_branch_misses_stddev',
      edgebench_perf_l1_dcache_load_misses: 'edgebench_perf_l1_dcache_load_misses_stddev',
      edgebench_netperf_rtt_seconds: 'edgebench_netperf_rtt_stddev_seconds',
      edgebench_iperf3_throughput_bytes_per_second: 'edgebench_iperf3_throughput_stddev_bytes_per_second',
      edgebench_lxc_cgroup_memory_bytes: 'edgebench_lxc_cgroup_memory_stddev_bytes',
      edgebench_lxc_start_duration_seconds: 'edgebench_lxc_start_duration_stddev_seconds',
    });
    // every family of the registry: the same unit last, `_stddev` before it
    for (const f of results) expect(stddevFamily(f).replace('_stddev', ''), f).toBe(f);
  });

  it('have no unit before another word in any family /metrics declares (a counter’s _total aside)', () => {
    // each result family with its stddev, samples and settled companions, and 13 bookkeeping families
    expect(declared.length).toBe(4 * results.length + 13);
    for (const name of declared) {
      const beforeUnit = name.replace(/_total$/, '').replace(/_(bytes_per_second|seconds|bytes|flops)$/, '');
      expect(beforeUnit, name).not.toMatch(/_(seconds|bytes|flops)(_|$)/);
    }
  });

  it('give `kernel` one meaning: the STREAM kernel; the DUT’s Linux release is `release`', () => {
    const withKernel = benchmarks.flatMap((b) => b.families.filter((f) => f.labelNames.includes('kernel')).map((f) => f.name));
    expect(withKernel).toEqual(['edgebench_stream_bandwidth_bytes_per_second']);
    const info = dutFamilies[declared.indexOf('edgebench_dut_info')];
    const out: string[] = [];
    info?.render('r1', { info: { arch: 'mips', kernel: '5.15.150', os: 'OpenWrt', lxcVersion: '5.0.2' } } as never, out);
    expect(out).toEqual(['edgebench_dut_info{dut="r1",arch="mips",release="5.15.150",os="OpenWrt",lxc_version="5.0.2"} 1\n']);
  });

  it('match the table of renamed families in docs/metrics.md, both ways', () => {
    const renamed = renamedInDocs();
    // the families that had `…_stddev` last before this version: a fact of history, not of the registry
    const moved = [
      'edgebench_sysbench_cpu_duration_seconds',
      'edgebench_linpack_flops',
      'edgebench_stream_bandwidth_bytes_per_second',
      'edgebench_nuttcp_goodput_bytes_per_second',
      'edgebench_netperf_rtt_seconds',
      'edgebench_iperf3_throughput_bytes_per_second',
    ];
    for (const f of moved) expect(results, f).toContain(f);
    for (const f of moved) expect(renamed, f).toContainEqual([`${f}_stddev`, stddevFamily(f)]);
    expect(renamed.length).toBe(moved.length);
    for (const [before, now] of renamed) {
      expect(declared, now).toContain(now);
      expect(declared, before).not.toContain(before);
    }
  });
});
