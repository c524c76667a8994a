import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killScript, markedCommand, newJobId } from '../../src/remote/remote-process.js';

const BUSYBOX = '/bin/busybox';

beforeAll(() => {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: the job scripts are run by a real busybox sh (apt-get install busybox)`);
  }
});

const started: ChildProcess[] = [];

afterEach(() => {
  // Whatever a failed test left behind: each child leads its own process group (detached).
  for (const child of started.splice(0)) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function state(pid: string): string | undefined {
  try {
    // "pid (comm) S …": comm may contain spaces and parentheses, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose initial environment carries EDGEBENCH_JOB=jobId. */
function marked(jobId: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const st = state(pid);
    if (st === undefined || st === 'Z' || st === 'X') continue;
    if (environ.split('\0').includes(`EDGEBENCH_JOB=${jobId}`)) pids.push(Number(pid));
  }
  return pids;
}

/** Polls (bounded) until `done` holds; returns whether it did. */
async function until(done: () => boolean, polls = 200, everyMs = 50): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    if (done()) return true;
    await sleep(everyMs);
  }
  return done();
}

function startJob(jobId: string, command: string): ChildProcess {
  const child = spawn(BUSYBOX, ['sh', '-c', markedCommand(jobId, command)], { detached: true, stdio: 'ignore' });
  started.push(child);
  return child;
}

const systemPath = process.env.PATH ?? '/usr/bin:/bin';
const tempDirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The greps a DUT may have, each first on PATH: the test machine's (GNU), busybox's applets (as on
 * OpenWrt), and one without -z (old busybox), which takes the script's per-process fallback.
 */
function grepVariants(): { name: string; path: string; hasZ: boolean }[] {
  const applets = tempDir('edgebench-applets-');
  for (const applet of ['grep', 'tr']) symlinkSync(BUSYBOX, join(applets, applet));
  const noZ = tempDir('edgebench-grep-no-z-');
  writeFileSync(
    join(noZ, 'grep'),
    `#!/bin/sh\ncase "$1" in -*z*) echo "grep: invalid option -- 'z'" >&2; exit 2;; esac\nexec ${BUSYBOX} grep "$@"\n`,
  );
  chmodSync(join(noZ, 'grep'), 0o755);
  return [
    { name: 'GNU grep', path: systemPath, hasZ: true },
    { name: 'busybox grep', path: `${applets}:${systemPath}`, hasZ: true },
    { name: 'a grep without -z', path: `${noZ}:${systemPath}`, hasZ: false },
  ];
}

/** Runs killScript with busybox sh, in an environment without any job marker. */
function kill(jobId: string, path = systemPath): string {
  return execFileSync(BUSYBOX, ['sh', '-c', killScript(jobId)], {
    encoding: 'utf8',
    env: { PATH: path },
    stdio: ['ignore', 'pipe', 'pipe'], // stderr is checked separately below
    timeout: 30_000,
  });
}

describe('markedCommand', () => {
  it('runs the command with the marker in its environment', () => {
    const id = newJobId();
    const out = execFileSync(BUSYBOX, ['sh', '-c', markedCommand(id, 'printf "%s|" "$EDGEBENCH_JOB" "it\'s"')], { encoding: 'utf8' });
    expect(out).toBe(`${id}|it's|`);
  });

  // the login shells of DUTs: busybox ash (OpenWrt), dash, bash (Raspberry Pi OS, Debian)
  it.each([[BUSYBOX, 'sh'], ['/bin/dash'], ['/bin/bash']])('gives the marker to every descendant, from a %s login shell', (...shell) => {
    const id = newJobId();
    const out = execFileSync(
      shell[0] as string,
      [...shell.slice(1), '-c', markedCommand(id, 'sh -c \'tr "\\0" "\\n" </proc/$$/environ\'')],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      },
    );
    expect(out.split('\n')).toContain(`EDGEBENCH_JOB=${id}`);
  });

  it('passes the exit status through', () => {
    const id = newJobId();
    let status: number | undefined;
    try {
      execFileSync(BUSYBOX, ['sh', '-c', markedCommand(id, 'exit 7')], { stdio: 'ignore' });
    } catch (err) {
      status = (err as { status?: number }).status;
    }
    expect(status).toBe(7);
  });

  it('quotes the command as one argument', () => {
    const id = newJobId();
    const cmd = markedCommand(id, 'echo \'a b\' "$HOME" `true` $(true); echo done');
    expect(cmd.startsWith(`export EDGEBENCH_JOB=${id}; exec sh -c '`)).toBe(true);
    const out = execFileSync(BUSYBOX, ['sh', '-c', cmd], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/h' } });
    expect(out).toBe('a b /h\ndone\n');
  });
});

describe('newJobId', () => {
  it('is 16 hex digits, different each time', () => {
    const ids = new Set(Array.from({ length: 100 }, newJobId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe.each(grepVariants())('killScript with $name', ({ path, hasZ }) => {
  it('kills every process of the job, and only those', async () => {
    const id = newJobId();
    // Shares the prefix of the job's marker: `grep -x` must not match it.
    const otherId = `${id}ff`;
    const child = startJob(id, 'sleep 300 & sleep 300 & wait');
    startJob(otherId, 'sleep 300 & wait');
    expect(child.pid).toBeGreaterThan(0);

    // The shell and its two sleeps carry the marker; the other job has a shell and a sleep.
    expect(await until(() => marked(id).length >= 3)).toBe(true);
    expect(await until(() => marked(otherId).length >= 2)).toBe(true);
    const before = marked(id);
    const otherBefore = marked(otherId);
    expect(before).toContain(child.pid);

    const printed = kill(id, path).trim();
    expect(printed).toMatch(/^\d+$/);
    expect(Number(printed)).toBeGreaterThanOrEqual(2);
    expect(Number(printed)).toBeLessThanOrEqual(before.length);

    // SIGKILL is asynchronous: wait (bounded) for the processes to be gone (zombies do not count).
    expect(await until(() => marked(id).length === 0)).toBe(true);
    expect(marked(id)).toEqual([]);

    // The other job is untouched.
    expect(marked(otherId).sort()).toEqual(otherBefore.sort());

    // And its own kill script takes it down too.
    expect(Number(kill(otherId, path).trim())).toBeGreaterThanOrEqual(2);
    expect(await until(() => marked(otherId).length === 0)).toBe(true);
  }, 60_000);

  it('kills the processes of several jobs in one run (undelivered kills go as a batch), and only those', async () => {
    const ids = [newJobId(), newJobId(), newJobId()];
    const bystander = newJobId();
    for (const id of ids) startJob(id, 'sleep 300 & wait');
    startJob(bystander, 'sleep 300 & wait');
    expect(await until(() => [...ids, bystander].every((id) => marked(id).length >= 2))).toBe(true);
    const bystanderBefore = marked(bystander);

    const script = killScript(...(ids as [string, ...string[]]));
    const printed = execFileSync(BUSYBOX, ['sh', '-c', script], { encoding: 'utf8', env: { PATH: path } });
    expect(Number(printed.trim())).toBeGreaterThanOrEqual(6);
    expect(await until(() => ids.every((id) => marked(id).length === 0))).toBe(true);
    expect(marked(bystander).sort()).toEqual(bystanderBefore.sort());
    kill(bystander, path);
  }, 60_000);

  it(hasZ ? 'reads every environment with one grep per scan' : 'falls back to one tr | grep per process', () => {
    const dir = tempDir('edgebench-grep-log-');
    const log = join(dir, 'calls');
    // logs its first argument, then runs the variant's grep (found on the variant's PATH)
    writeFileSync(join(dir, 'grep'), `#!/bin/sh\necho "$1" >>${log}\nPATH='${path}' exec grep "$@"\n`);
    chmodSync(join(dir, 'grep'), 0o755);
    expect(kill(newJobId(), `${dir}:${path}`).trim()).toBe('0');
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    if (hasZ)
      expect(calls).toEqual(['-qzx', '-lzx']); // the probe, then one scan that found nothing
    else expect(calls.filter((c) => c === '-qx').length).toBeGreaterThan(10);
  });

  it('stays under dropbear’s 9000-byte command limit for a batch of 100 markers', () => {
    const ids = Array.from({ length: 100 }, newJobId) as [string, ...string[]];
    expect(killScript(...ids).length).toBeLessThan(9000);
  });

  it('prints 0 when no process carries the marker', () => {
    expect(kill(newJobId(), path).trim()).toBe('0');
  });

  it('reaches the children of a job that were started in a subshell', async () => {
    const id = newJobId();
    startJob(id, '( (sleep 300 & wait) & wait ) & wait');
    expect(await until(() => marked(id).length >= 4)).toBe(true);
    expect(Number(kill(id, path).trim())).toBeGreaterThanOrEqual(4);
    expect(await until(() => marked(id).length === 0)).toBe(true);
  }, 60_000);

  // `tr '\0' '\n' <"$p/environ" 2>/dev/null`: redirections apply left to right, so a failure to open
  // $p/environ (kernel threads: ESRCH; other users' processes: EACCES) is reported on the script's stderr
  // before 2>/dev/null takes effect, one line per such process. Run as nobody, PID 1 is always unreadable.
  it('stays quiet about unreadable /proc/PID/environ files', () => {
    const res = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BUSYBOX, 'sh', '-c', killScript(newJobId())], {
      encoding: 'utf8',
      env: { PATH: path },
    });
    expect(res.stdout.trim()).toBe('0');
    expect(res.stderr).toBe('');
  });
});
