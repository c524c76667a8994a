// What a DUT is, read at the start of each round: for edgebench_dut_info and for the journal, which
// keeps the tools' versions beside every result (a new sysbench build can move a figure).
import { benchmarks } from '../benchmarks/index.js';
import type { DutConfig } from '../config/schema.js';
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

export async function readDutInfo(conn: SshConnection, signal: AbortSignal): Promise<DutInfo> {
  const res = await conn.exec(INFO_SCRIPT, { timeoutMs: 15_000, signal });
  const [arch = '', kernel = '', os = '', lxcVersion = ''] = res.stdout.split('\n').map((l) => l.trim());
  return { arch, kernel, os, lxcVersion };
}

/** The first line each configured DUT-side tool prints for its version flag; tools that fail are left out. */
export async function readToolVersions(conn: SshConnection, dut: DutConfig, signal: AbortSignal): Promise<Map<string, string>> {
  const lines = benchmarks.flatMap((b) => {
    const params = (dut.benchmarks as Record<string, { path?: string } | undefined>)[b.name];
    if (!b.versionFlag || !params?.path) return [];
    const run = shellCommand([params.path, b.versionFlag]);
    return [`v=$(${run} 2>&1 </dev/null) && printf '%s\\t%s\\n' ${shellQuote(b.name)} "$(printf '%s\\n' "$v" | head -n 1)"`];
  });
  if (lines.length === 0) return new Map();
  const res = await conn.exec(lines.join('\n'), { timeoutMs: 15_000, signal });
  const versions = new Map<string, string>();
  for (const line of res.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) versions.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return versions;
}
