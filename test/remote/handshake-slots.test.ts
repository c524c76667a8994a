import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withHandshakeSlot } from '../../src/remote/handshake-slots.js';

describe('withHandshakeSlot', () => {
  it('runs at most 16 connects at once, all of them, and a failed one frees its slot', async () => {
    let now = 0;
    let most = 0;
    const connect = async (i: number) => {
      most = Math.max(most, ++now);
      await sleep(5);
      now--;
      if (i % 7 === 0) throw new Error(`refused ${i}`);
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => withHandshakeSlot(() => connect(i))));
    expect(most).toBe(16);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(85);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message)).toContain('refused 98');
    // every slot came back: 16 more start at once
    most = 0;
    await Promise.all(Array.from({ length: 16 }, () => withHandshakeSlot(() => connect(1))));
    expect(most).toBe(16);
  });
});
