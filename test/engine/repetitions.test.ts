import { describe, expect, it } from 'vitest';
import { repetitions as repetitionsField } from '../../src/config/fields.js';
import { repeat, rsdPercent } from '../../src/engine/repetitions.js';

const policy = (p: object | number) => repetitionsField.parse(p);

/** A run that yields the given values in turn, counting calls. */
function sequence(values: number[]) {
  let calls = 0;
  const once = async () => {
    const v = values[calls++];
    if (v === undefined) throw new Error('ran more often than the policy allows');
    return v;
  };
  return { once, calls: () => calls };
}

describe('repetition policy', () => {
  it('a number is a fixed count', () => {
    expect(policy(4)).toEqual({ min: 4, max: 4, max_rsd_percent: 0, warmup: false });
  });

  it('the object defaults to the Phoronix Test Suite rule: 3 runs, 3.5 %, and caps at 10', () => {
    expect(policy({})).toEqual({ min: 3, max: 10, max_rsd_percent: 3.5, warmup: false });
  });

  it('rejects max below min, naming max', () => {
    const r = repetitionsField.safeParse({ min: 5, max: 2 });
    expect(r.success).toBe(false);
    expect(r.error?.issues.some((i) => i.path.join('.') === 'max' && /at least min/.test(i.message))).toBe(true);
  });
});

describe('repeat', () => {
  it('stops at min when the spread is already below the threshold', async () => {
    const s = sequence([100, 101, 100, 500]);
    const r = await repeat(policy({ min: 3, max: 10, max_rsd_percent: 3.5 }), s.once, (v) => [v]);
    expect(r.runs).toEqual([100, 101, 100]);
    expect(r.rsdPercent).toBeCloseTo(0.575, 3);
  });

  it('keeps going while the spread is above the threshold, until it falls', async () => {
    const s = sequence([100, 130, 100, 100, 100, 100, 100, 100, 100, 100]);
    const r = await repeat(policy({ min: 3, max: 10, max_rsd_percent: 10 }), s.once, (v) => [v]);
    // RSD after 3 runs 15.7 %, 4: 14.0 %, 5: 12.7 %, 6: 11.7 %, 7: 10.9 %, 8: 10.2 %, 9: 9.7 %
    expect(r.runs.length).toBe(9);
    expect(r.rsdPercent).toBeCloseTo(9.677, 3);
  });

  it('stops at max even when the spread stays high', async () => {
    const s = sequence([1, 10, 1, 10, 1, 10]);
    const r = await repeat(policy({ min: 2, max: 5, max_rsd_percent: 1 }), s.once, (v) => [v]);
    expect(r.runs).toEqual([1, 10, 1, 10, 1]);
    expect(r.rsdPercent).toBeGreaterThan(1);
  });

  it('runs a warm-up first and leaves it out of the runs and the spread', async () => {
    const s = sequence([900, 100, 100, 100]);
    const r = await repeat(policy({ min: 3, max: 3, warmup: true }), s.once, (v) => [v]);
    expect(s.calls()).toBe(4);
    expect(r.runs).toEqual([100, 100, 100]);
    expect(r.rsdPercent).toBe(0);
  });

  it('a fixed count runs exactly that often whatever the spread', async () => {
    const s = sequence([1, 50, 3]);
    expect((await repeat(policy(3), s.once, (v) => [v])).runs).toEqual([1, 50, 3]);
  });

  it('spreads over every value a run yields (one per instance)', async () => {
    const s = sequence([0, 0, 0]);
    const r = await repeat(policy({ min: 1, max: 3, max_rsd_percent: 10 }), s.once, () => [100, 200]);
    expect(r.runs.length).toBe(3);
    expect(r.rsdPercent).toBeCloseTo(rsdPercent([100, 200, 100, 200, 100, 200]), 10);
  });

  it('the first failing run ends the loop with its error', async () => {
    let n = 0;
    const once = async () => {
      n += 1;
      if (n === 2) throw new Error('tool died');
      return 1;
    };
    await expect(repeat(policy(5), once, (v) => [v])).rejects.toThrow('tool died');
    expect(n).toBe(2);
  });

  it('rsdPercent is 0 for a zero mean and for one value', () => {
    expect(rsdPercent([0, 0])).toBe(0);
    expect(rsdPercent([7])).toBe(0);
    expect(rsdPercent([90, 110])).toBeCloseTo(14.14, 2);
  });
});
