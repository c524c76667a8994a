// Commands in a container whose container is not running: run for real by busybox sh, with
// stand-ins for lxc-attach and lxc-info that answer as LXC 5 does (messages copied from the lab).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDutServer } from '../../src/remote/dut-process.js';
import type { DutExec } from '../../src/remote/dut-session.js';
import { checkedCommandIn, commandIn, lxc, NOT_RUNNING, native, notRunningCheck } from '../../src/remote/exec-context.js';
import { runParallel } from '../../src/remote/parallel.js';
import { markedCommand, newJobId } from '../../src/remote/remote-process.js';
import { containerFailure, toolFailure } from '../../src/remote/tool-failure.js';
import { fakeContext } from '../helpers/job-context.js';

const BUSYBOX = '/bin/busybox';
let scratch = '';
/** The fake containers' states, one file per container. */
let states = '';
let bin = '';

const LXC_ATTACH = `#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -n) name=$2; shift ;; --) shift; break ;; esac; shift; done
if [ "$(cat "$FAKE_LXC/$name" 2>/dev/null)" != RUNNING ]; then
  echo "lxc-attach: $name: ../src/lxc/attach.c: get_attach_context: 406 Connection refused - Failed to get init pid" >&2
  echo "lxc-attach: $name: ../src/lxc/attach.c: lxc_attach: 1470 Connection refused - Failed to get attach context" >&2
  exit 1
fi
exec "$@"
`;

const LXC_INFO = `#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -n) name=$2; shift ;; esac; shift; done
[ -f "$FAKE_LXC/$name" ] || { echo "$name doesn't exist"; exit 1; }
printf 'State:          %s\\n' "$(cat "$FAKE_LXC/$name")"
`;

function state(container: string, value: string | undefined): void {
  const file = join(states, container);
  if (value === undefined) rmSync(file, { force: true });
  else writeFileSync(file, value);
}

/** Runs a DUT command as SshConnection would: marked, under busybox sh, with the stand-ins on PATH. */
function shell(command: string, withLxcInfo = true): { stdout: string; stderr: string; exitCode: number } {
  // without lxc-info: a PATH of lxc-attach and busybox only (this host has the real lxc-info)
  const path = withLxcInfo ? `${bin}:${process.env.PATH}` : join(bin, 'attach-only');
  const r = spawnSync(BUSYBOX, ['sh', '-c', markedCommand(newJobId(), command)], {
    encoding: 'utf8',
    env: { PATH: path, FAKE_LXC: states },
    timeout: 20_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 255 };
}

const dutExec: DutExec = async (command) => shell(command);

beforeAll(() => {
  if (!existsSync(BUSYBOX))
    throw new Error(`${BUSYBOX} is missing: container commands are run by a real busybox sh (apt-get install busybox)`);
  scratch = mkdtempSync(join(tmpdir(), 'edgebench-exec-context-'));
  states = join(scratch, 'states');
  bin = join(scratch, 'bin');
  mkdirSync(states);
  mkdirSync(join(bin, 'attach-only'), { recursive: true });
  for (const [file, text] of [
    [join(bin, 'lxc-attach'), LXC_ATTACH],
    [join(bin, 'attach-only', 'lxc-attach'), LXC_ATTACH],
    [join(bin, 'lxc-info'), LXC_INFO],
  ] as const) {
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  }
  for (const applet of ['sh', 'env', 'cat', 'printf']) symlinkSync(BUSYBOX, join(bin, 'attach-only', applet));
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pool0 = lxc('/srv/lxc', 'pool0');

describe('checkedCommandIn', () => {
  it('is commandIn natively', () => {
    expect(checkedCommandIn(native, ['echo', 'a b'])).toBe(commandIn(native, ['echo', 'a b']));
    expect(notRunningCheck(native)).toBe(':');
  });

  it('runs the tool in a running container with the job marker, and passes its exit status and output through', () => {
    state('pool0', 'RUNNING');
    const r = shell(checkedCommandIn(pool0, ['sh', '-c', 'echo "$EDGEBENCH_JOB" | wc -c; echo oops >&2; exit 3']));
    expect(r).toEqual({ stdout: '17\n', stderr: 'oops\n', exitCode: 3 });
  });

  it('says the container is not running, with its state, when it is stopped', () => {
    state('pool0', 'STOPPED');
    const r = shell(checkedCommandIn(pool0, ['sysbench', 'cpu', 'run']));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${NOT_RUNNING} pool0\nState:          STOPPED\n`);
    expect(toolFailure('sysbench', 'DUT d1 (lxc container pool0)', r.exitCode, r.stderr)).toMatchObject({
      reason: 'exit_status',
      message: 'sysbench could not start on DUT d1 (lxc container pool0): container pool0 is not running (State: STOPPED)',
    });
  });

  it('says so too when the container does not exist', () => {
    state('pool9', undefined);
    const r = shell(checkedCommandIn(lxc('/srv/lxc', 'pool9'), ['sysbench']));
    expect(containerFailure('sysbench', 'DUT d1 (lxc container pool9)', r.stderr)?.message).toBe(
      "sysbench could not start on DUT d1 (lxc container pool9): container pool9 is not running (pool9 doesn't exist)",
    );
  });

  it('adds nothing when the container runs and the tool fails, or is missing', () => {
    state('pool0', 'RUNNING');
    const r = shell(checkedCommandIn(pool0, ['no-such-tool']));
    expect(r.stderr).not.toContain(NOT_RUNNING);
    expect(toolFailure('no-such-tool', 'DUT d1 (lxc container pool0)', r.exitCode, r.stderr)?.reason).toBe('tool_missing');
  });

  it('leaves lxc-attach to speak for itself on a DUT without lxc-info', () => {
    state('pool0', 'STOPPED');
    const r = shell(checkedCommandIn(pool0, ['sysbench']), false);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).not.toContain(NOT_RUNNING);
    expect(r.stderr).toContain('Failed to get init pid');
  });

  it('keeps quoting: a container name with a quote in it reaches lxc-info and the message intact', () => {
    const odd = "it's";
    state(odd, 'FROZEN');
    const r = shell(checkedCommandIn(lxc('/srv/lxc', odd), ['true']));
    expect(r.stderr).toContain(`${NOT_RUNNING} ${odd}\nState:          FROZEN\n`);
  });
});

describe('a stopped container in the jobs', () => {
  it('fails the instances of a parallel run in that container with the clear message, not the others', async () => {
    state('pool0', 'RUNNING');
    state('pool1', 'STOPPED');
    const ctx = fakeContext(dutExec);
    await expect(runParallel(ctx, [pool0, lxc('/srv/lxc', 'pool1')], ['echo', 'hi'], 20_000)).rejects.toMatchObject({
      reason: 'exit_status',
      message: 'echo could not start on DUT d1 (lxc container pool1): container pool1 is not running (State: STOPPED)',
    });
    expect(await runParallel(ctx, [pool0, native], ['echo', 'hi'], 20_000)).toEqual([
      { where: 'DUT d1 (lxc container pool0)', output: 'hi\n' },
      { where: 'DUT d1 (native)', output: 'hi\n' },
    ]);
  });

  it('fails a server in a stopped container with the clear message', async () => {
    state('veth0', 'STOPPED');
    const ctx = fakeContext(dutExec);
    await expect(startDutServer(ctx, lxc('/srv/lxc', 'veth0'), ['iperf3', '-s', '-p', '5201'], 5201, 20_000)).rejects.toMatchObject({
      reason: 'exit_status',
      message: 'iperf3 could not start on DUT d1 (lxc container veth0): container veth0 is not running (State: STOPPED)',
    });
  });
});
