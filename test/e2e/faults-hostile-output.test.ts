// `edgebench serve` against a DUT whose tools never stop printing (issue 15, item 1), on a real lab:
// the same device under two names, one healthy, one whose sysbench is `yes` (a flood of lines on
// stdout, and on --version), whose stream prints one endless line, whose nuttcp client on the test
// machine floods too, and whose /etc/os-release holds control characters and 5,000 more. Each bad
// job fails with output_too_large long before its timeout, its processes are killed, the journal
// keeps a bounded head and tail, the labels stay short and printable, the exporter's memory stays
// bounded, and the healthy DUT's rounds complete beside it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { seriesValue } from '../../harness/exposition.js';
import { labDown, labNamespaces, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { cli } from '../../harness/repo.js';
import { MAX_FACT_CHARS } from '../../src/engine/dut-facts.js';
import { DEFAULT_MAX_OUTPUT_BYTES, EXCERPT_BYTES } from '../../src/remote/output-cap.js';
import { labName, liveProcesses, waitFor } from '../helpers/lab.js';
import { dropbears, markedProcesses, ServeProcess } from '../helpers/serve-process.js';

requireRoot('the hostile-output test');
const name = labName('ho');
const healthy = `lab-${name}`;
const hostile = `flood-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-hostile-output-'));
const journalPath = join(work, 'journal.sqlite');
const STREAM_CAP = 1024 * 1024;
let exporter: ServeProcess | undefined;
let port = 0;

function script(file: string, body: string): string {
  const path = join(work, file);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

beforeAll(async () => {
  const generated = labUp(name, '--pool', '1');
  port = await freePort();
  const flood = script('sysbench-flood', `exec yes 'edgebench hostile DUT: a line that never ends the output'`);
  const endless = script('stream-endless-line', `tr '\\000' x </dev/zero`);
  const clientFlood = script('nuttcp-client-flood', 'exec yes nuttcp-client-flood');
  // /etc/os-release as dropbear's mount namespace sees it (both names are the same device)
  const osRelease = join(work, 'os-release');
  writeFileSync(osRelease, `PRETTY_NAME="evil\u001b[2J\u0007${'x'.repeat(5000)}"\n`);
  const listener = dropbears(name).find((p) => / -F /.test(p.cmdline)) ?? dropbears(name)[0];
  if (!listener) throw new Error(`no dropbear listener in lab ${name}`);
  execFileSync('nsenter', ['-t', String(listener.pid), '-m', 'mount', '--bind', osRelease, '/etc/os-release']);

  const cfg = parse(readFileSync(generated, 'utf8'));
  const dut = cfg.duts[0];
  const { benchmarks: _b, ...connection } = dut;
  writeFileSync(
    join(work, 'edgebench.yml'),
    stringify({
      listen: `127.0.0.1:${port}`,
      schedule: { interval: '1h' },
      repetitions: 1,
      journal: { path: journalPath },
      duts: [
        { ...connection, benchmarks: { sysbench: { modes: ['native'], instances: [1], events: 300, timeout: '1m' } } },
        {
          ...connection,
          name: hostile,
          benchmarks: {
            sysbench: { modes: ['native'], instances: [1], path: flood, timeout: '1m' },
            stream: { modes: ['native'], suites: ['stream'], array_mib: 4, path: endless, timeout: '1m', max_output_bytes: STREAM_CAP },
            nuttcp: { netdevs: ['host'], directions: ['transmit'], duration: '3s', timeout: '1m', client_path: clientFlood },
          },
        },
      ],
    }),
  );
});

afterAll(async () => {
  await exporter?.stop(join(work, 'serve.log'));
  labDown(name);
});

describe(`edgebench serve with a DUT that floods its output, lab ${name}`, () => {
  it('fails each flooding job with output_too_large, kills it, and completes the healthy round beside it', async () => {
    exporter = await ServeProcess.ready(join(work, 'edgebench.yml'), port);
    const e = exporter;
    const s = await waitFor('a round on both DUTs', 240_000, async () => {
      const now = await e.metrics();
      const done = [healthy, hostile].every(
        (d) => seriesValue(now, 'edgebench_round_last_completion_timestamp_seconds', { dut: d }) !== undefined,
      );
      return done ? now : undefined;
    });
    for (const benchmark of ['sysbench', 'stream', 'nuttcp']) {
      expect(seriesValue(s, 'edgebench_benchmark_failures_total', { dut: hostile, benchmark, reason: 'output_too_large' }), benchmark).toBe(
        1,
      );
    }
    // the new reason starts at 0 like the others
    expect(seriesValue(s, 'edgebench_benchmark_failures_total', { dut: healthy, benchmark: 'sysbench', reason: 'output_too_large' })).toBe(
      0,
    );
    expect(seriesValue(s, 'edgebench_sysbench_cpu_duration_seconds', { dut: healthy, instances: '1' })).toBeGreaterThan(0);
    expect(seriesValue(s, 'edgebench_benchmark_success', { dut: healthy, benchmark: 'sysbench', mode: 'native' })).toBe(1);
    expect(s.some((x) => x.name.startsWith('edgebench_sysbench_cpu_duration') && x.labels.dut === hostile)).toBe(false);

    // each failed at its cap, long before its 1 m timeout
    const failed = e.lines.filter((l) => l.msg === 'job failed' && l.dut === hostile);
    expect(failed.map((l) => [l.benchmark, l.reason])).toEqual([
      ['sysbench', 'output_too_large'],
      ['stream', 'output_too_large'],
      ['nuttcp', 'output_too_large'],
    ]);
    expect(failed[0]?.err).toContain(`printed more than ${DEFAULT_MAX_OUTPUT_BYTES} bytes on stdout`);
    expect(failed[1]?.err).toContain(`printed more than ${STREAM_CAP} bytes`);
    expect(failed[2]?.err).toMatch(/nuttcp-client-flood printed more than \d+ bytes on stdout on the test machine/);
    const jobs = parseCsv(execFileSync('node', [cli, 'export', '--journal', journalPath, '--jobs'], { encoding: 'utf8' }), {
      columns: true,
    }) as Record<string, string>[];
    const bad = jobs.filter((j) => j.dut === hostile);
    expect(bad.map((j) => j.reason)).toEqual(['output_too_large', 'output_too_large', 'output_too_large']);
    for (const j of bad) expect(Number(j.duration_seconds)).toBeLessThan(30);
    // the journal keeps the head and the tail, not megabytes
    const raw = bad[0]?.raw_output ?? '';
    expect(raw.startsWith('edgebench hostile DUT: a line that never ends the output\n')).toBe(true);
    expect(raw).toMatch(/\n\[edgebench: \d+ characters left out\]\n/);
    expect(raw.length).toBeLessThan(2 * EXCERPT_BYTES + 100);

    // the flood ended its command, not the connection (dropbear drops one that talks of a closed channel)
    expect(e.lines.filter((l) => l.dut === hostile && l.msg === 'connection lost')).toEqual([]);
    // the --version probe flooded too: versions are unknown for the round, which went on
    expect(e.lines.some((l) => l.dut === hostile && l.msg.startsWith('could not read the tool versions'))).toBe(true);

    // nothing of a flooding job outlives it: on the DUT (by its marker) nor on the test machine
    await waitFor('the flooding processes to be killed', 20_000, async () => {
      const left = [...markedProcesses(labNamespaces(name)), ...liveProcesses((c) => /\byes\b.*flood|tr \\000 x/.test(c))];
      return left.length === 0 || undefined;
    });
    // a flood of several MB a second reached neither the log nor the exporter's memory
    expect(e.log.length).toBeLessThan(512 * 1024);
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${e.pid}/status`, 'utf8'))?.[1]) * 1024;
    expect(hwm).toBeLessThan(400 * 1024 * 1024);
  });

  it('keeps DUT facts that become labels short and printable', async () => {
    const e = exporter as ServeProcess;
    const info = (await e.metrics()).filter((x) => x.name === 'edgebench_dut_info');
    expect(info.map((x) => x.labels.dut).sort()).toEqual([hostile, healthy].sort());
    for (const x of info) {
      const os = x.labels.os ?? '';
      expect(os.startsWith('evil ')).toBe(true);
      expect(os.length).toBeLessThanOrEqual(MAX_FACT_CHARS);
      expect([...os].filter((c) => c < ' ' || c === '\u007f')).toEqual([]);
      expect(x.labels.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    }
  });
});
