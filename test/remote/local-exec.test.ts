import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/remote/errors.js';
import { localExec } from '../../src/remote/local-exec.js';

/** Running or sleeping; a zombie waiting for this machine's init to reap it counts as gone. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('localExec (real processes on the test machine)', () => {
  it('returns output and exit status without a shell in between', async () => {
    const r = await localExec(['sh', '-c', 'echo out; echo err >&2; exit 3', 'ignored $(id)'], { timeoutMs: 5_000 });
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('passes arguments literally', async () => {
    const r = await localExec(['printf', '%s|', 'a b', '$(id)', ';rm -rf /'], { timeoutMs: 5_000 });
    expect(r.stdout).toBe('a b|$(id)|;rm -rf /|');
  });

  it('a timeout kills the whole process group, children included', async () => {
    const run = localExec(['sh', '-c', 'sleep 30 & echo "$!"; sleep 30'], { timeoutMs: 300 });
    const err = (await run.catch((e: unknown) => e)) as JobError;
    expect(err).toBeInstanceOf(JobError);
    expect(err.reason).toBe('timeout');
    expect(err.message).toBe('sh timed out after 0.3s on the test machine');
    const child = Number(err.output?.trim());
    expect(child).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(false);
  });

  it.each(['stdout', 'stderr'])(
    'a client that never stops printing on %s is killed, children included, as output_too_large',
    async (stream) => {
      const redirect = stream === 'stderr' ? ' >&2' : '';
      const run = localExec(['sh', '-c', `sleep 30 & echo "child $!"${redirect}; exec yes flood${redirect}`], {
        timeoutMs: 60_000,
        maxOutputBytes: 64 * 1024,
      });
      const err = (await run.catch((e: unknown) => e)) as JobError;
      expect(err).toBeInstanceOf(JobError);
      expect(err.reason).toBe('output_too_large');
      expect(err.message).toBe(`sh printed more than 65536 bytes on ${stream} on the test machine (max_output_bytes)`);
      const child = Number(/^child (\d+)$/m.exec(err.output ?? '')?.[1]);
      expect(child).toBeGreaterThan(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(child)).toBe(false);
      // the kept output is bounded however much arrived before the kill
      expect(err.output?.length).toBeLessThan(70 * 1024);
    },
  );

  it('a cancel kills it with reason cancelled', async () => {
    const abort = new AbortController();
    const run = localExec(['sleep', '30'], { timeoutMs: 10_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await expect(run).rejects.toMatchObject({ reason: 'cancelled' });
  });

  it('a missing client is tool_missing and says it is on the test machine', async () => {
    await expect(localExec(['no-such-nuttcp', '-t'], { timeoutMs: 5_000 })).rejects.toMatchObject({
      reason: 'tool_missing',
      message: 'no-such-nuttcp not found on the test machine: install it there (it is the client side)',
    });
  });
});
