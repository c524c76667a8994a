// What a DUT says of itself becomes label values and journal fields: whatever it prints, each is
// one printable line of bounded length. The version probe's framing is read back from the real
// shells the DUTs have.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FACT_CHARS, parseDutInfo, parseToolVersions, versionScript } from '../../src/engine/dut-facts.js';
import { parseDut } from '../helpers/job-context.js';

describe('parseDutInfo', () => {
  it('reads the four lines of the info script', () => {
    expect(parseDutInfo('mips\n4.14.275\nOpenWrt 19.07.10 r11427-9ce6aa9d8d\nlxc-start 3.1.0\n')).toEqual({
      arch: 'mips',
      kernel: '4.14.275',
      os: 'OpenWrt 19.07.10 r11427-9ce6aa9d8d',
      lxcVersion: 'lxc-start 3.1.0',
    });
  });

  it('strips control characters and bounds each fact', () => {
    const info = parseDutInfo(`x86_64\u001b[31m\n6.1\r\n${'o'.repeat(10_000)}\n`);
    expect(info.arch).toBe('x86_64 [31m');
    expect(info.kernel).toBe('6.1');
    expect(info.os).toHaveLength(MAX_FACT_CHARS);
    expect(info.lxcVersion).toBe('');
  });
});

describe('readToolVersions: the probe and its answer', () => {
  const NONCE = '0123456789ab';
  const tools = mkdtempSync(join(tmpdir(), 'edgebench-versions-'));
  const tool = (name: string, body: string) => {
    const path = join(tools, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const good = tool('sysbench', 'echo "sysbench 1.0.20"; echo second line');
  const failing = tool('nuttcp', 'echo "nuttcp: bad option" >&2; exit 1');
  // it tries to forge netperf's frame, without knowing the nonce
  const hostile = tool('iperf3', `printf 'iperf 3.12\\033[2J\\036netperf\\tforged\\0370\\n\\036\\0370\\n'`);
  const dut = parseDut(
    `host: 198.18.1.2\nbenchmarks: { sysbench: { modes: [native], path: ${good} }, nuttcp: { path: ${failing} }, iperf3: { path: ${hostile} }, netperf: { path: /nonexistent/netserver } }`,
  );

  it.each([
    ['busybox sh', ['/bin/busybox', 'sh']],
    ['dash', ['/bin/dash']],
  ])('under %s: the first line of each tool that answered, framed so a tool cannot forge another', (_name, shell) => {
    const script = versionScript(dut, NONCE);
    expect(script).toBeDefined();
    const res = spawnSync(shell[0] as string, [...shell.slice(1), '-c', script as string], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    const versions = parseToolVersions(res.stdout, NONCE);
    expect(versions.get('sysbench')).toBe('sysbench 1.0.20');
    // a tool that failed, or is missing, is left out
    expect(versions.has('nuttcp')).toBe(false);
    expect(versions.has('netperf')).toBe(false);
    // what a hostile tool printed stays its own, printable
    expect(versions.get('iperf3')?.startsWith('iperf 3.12 [2J')).toBe(true);
  });

  it('bounds a version line', () => {
    const answer = `\u001e${NONCE}sysbench\t${'v'.repeat(5000)}\n\u001f${NONCE}0\n`;
    expect(parseToolVersions(answer, NONCE).get('sysbench')).toHaveLength(MAX_FACT_CHARS);
  });
});
