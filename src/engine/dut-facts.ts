// What a DUT is, read at the start of each round: for edgebench_dut_info and for the journal, which
// keeps the tools' versions beside every result (a new sysbench build can move a figure).

import { randomBytes } from 'node:crypto';
import { benchmarks } from '../benchmarks/index.js';
import type { DutConfig } from '../config-file/schema.js';
import { PROBE_MAX_BYTES, printable } from '../remote/output-cap.js';
import { shellCommand, shellQuote } from '../remote/shell-quote.js';
import type { SshConnection } from '../remote/ssh-connection.js';
import type { DutInfo } from './results.js';

const INFO_SCRIPT = [
  'uname -m',
  'uname -r',
  'if [ -r /etc/openwrt_release ]; then (. /etc/openwrt_release; echo "$DISTRIB_DESCRIPTION");',
  'elif [ -r /etc/os-release ]; then (. /etc/os-release; echo "$PRETTY_NAME"); else uname -s; fi',
  'lxc-start --version 2>/dev/null || echo none',
].join('\n');

/** A fact becomes a label value (edgebench_dut_info) or a journal field: one printable line, bounded. */
export const MAX_FACT_CHARS = 128;

export async function readDutInfo(conn: SshConnection, signal: AbortSignal): Promise<DutInfo> {
  const res = await conn.exec(INFO_SCRIPT, { timeoutMs: 15_000, signal, maxOutputBytes: PROBE_MAX_BYTES });
  return parseDutInfo(res.stdout);
}

export function parseDutInfo(text: string): DutInfo {
  const [arch = '', kernel = '', os = '', lxcVersion = ''] = text.split('\n').map((l) => printable(l, MAX_FACT_CHARS));
  return { arch, kernel, os, lxcVersion };
}

// Each tool's answer is framed (RS and a nonce, name, tab, what it printed, US and the nonce, exit
// status) and sent whole: the DUT keeps nothing of it in a shell variable, the test machine's cap
// ends a tool that never stops, and a tool cannot forge another's frame without the nonce.
const RS = '\u001e';
const US = '\u001f';

/** The probe for every configured tool with a version flag; undefined when there is none. */
export function versionScript(dut: DutConfig, nonce: string): string | undefined {
  const lines = benchmarks.flatMap((b) => {
    const params = dut.benchmarks[b.name];
    // a benchmark without a DUT-side tool of its own has no `path`
    const path = params && 'path' in params ? params.path : undefined;
    if (!b.versionFlag || !path) return [];
    const run = shellCommand([path, b.versionFlag]);
    return [`printf '\\036%s%s\\t' ${nonce} ${shellQuote(b.name)}; ${run} </dev/null 2>&1; printf '\\037%s%s\\n' ${nonce} "$?"`];
  });
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** The first line each configured DUT-side tool prints for its version flag; tools that fail are left out. */
export async function readToolVersions(conn: SshConnection, dut: DutConfig, signal: AbortSignal): Promise<Map<string, string>> {
  const nonce = randomBytes(6).toString('hex');
  const script = versionScript(dut, nonce);
  if (script === undefined) return new Map();
  const res = await conn.exec(script, { timeoutMs: 15_000, signal, maxOutputBytes: PROBE_MAX_BYTES });
  return parseToolVersions(res.stdout, nonce);
}

export function parseToolVersions(text: string, nonce: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const frame of text.split(`${RS}${nonce}`).slice(1)) {
    const tab = frame.indexOf('\t');
    const end = frame.lastIndexOf(`${US}${nonce}`);
    if (tab <= 0 || end < tab || frame.slice(end + 1 + nonce.length).trim() !== '0') continue;
    const first = frame
      .slice(tab + 1, end)
      .split('\n')
      .find((l) => l.trim() !== '');
    if (first !== undefined) versions.set(frame.slice(0, tab), printable(first, MAX_FACT_CHARS));
  }
  return versions;
}
