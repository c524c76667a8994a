// A tool's own run time, measured where it runs: a wrapper script takes the place of the tool
// (edgebench's `path` / `client_path`, or the direct command line) and appends
// "TOOL START_NS END_NS EXIT" to a file, the two times from `date +%s%N` just before and just after
// the real tool. Everything outside [START, END] is orchestration: ssh, shells, lxc-attach, servers
// starting and stopping, parsing. The two `date` forks (about 1 ms each on this machine) count as
// orchestration, for edgebench and for the plain-ssh baseline alike.
//
// The wrappers live under /usr/local/lib (the lab's DUT shares this host's filesystem, and its
// containers bind-mount /usr), the records under /var/tmp: the host's natively, each container's
// own in its rootfs. Lab-specific: a real DUT would need the wrapper copied to it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './lab.js';

export interface ToolRun {
  tool: string;
  /** Epoch milliseconds (fractional). */
  start: number;
  end: number;
  exit: number;
}

export class ToolTimes {
  readonly dir: string;
  readonly file: string;

  constructor(readonly id: string) {
    this.dir = `/usr/local/lib/edgebench-bench/${id}`;
    this.file = `/var/tmp/edgebench-bench-${id}.times`;
    mkdirSync(this.dir, { recursive: true });
  }

  /** Writes a wrapper for `tool` (a command name looked up in PATH) and returns its path. */
  wrap(tool: string): string {
    const path = join(this.dir, tool);
    const script = [
      '#!/bin/sh',
      `s=$(/usr/bin/date +%s%N)`,
      `${tool} "$@"`,
      'rc=$?',
      `echo "${tool} $s $(/usr/bin/date +%s%N) $rc" >>${this.file}`,
      'exit $rc',
      '',
    ].join('\n');
    writeFileSync(path, script, { mode: 0o755 });
    return path;
  }

  /** Every record written since the last call, natively and in the lab's containers; then forgets them. */
  take(lab?: Lab): ToolRun[] {
    const files = [this.file];
    if (lab) {
      for (const c of readdirSync(lab.dut.lxc_path)) files.push(join(lab.dut.lxc_path, c, 'rootfs', this.file));
    }
    const runs: ToolRun[] = [];
    for (const f of files) {
      if (!existsSync(f)) continue;
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        const [tool, s, e, rc] = line.trim().split(' ');
        if (tool && s && e) runs.push({ tool, start: Number(s) / 1e6, end: Number(e) / 1e6, exit: Number(rc) });
      }
      rmSync(f);
    }
    return runs.sort((a, b) => a.start - b.start);
  }

  cleanup(lab?: Lab): void {
    this.take(lab);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Total time covered by the runs' intervals, overlaps counted once (k parallel instances). */
export function covered(runs: readonly { start: number; end: number }[]): number {
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const r of [...runs].sort((a, b) => a.start - b.start)) {
    if (r.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = r.start;
      curEnd = r.end;
    } else {
      curEnd = Math.max(curEnd, r.end);
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}
