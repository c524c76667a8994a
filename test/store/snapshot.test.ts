// A snapshot puts back what /metrics showed, including what a journal written before a field
// existed lacks: such a result was published as settled.
import { describe, expect, it } from 'vitest';
import { DutResults } from '../../src/engine/results.js';
import { type DutSnapshot, restoreSnapshot, snapshotOf } from '../../src/store/snapshot.js';
import { UNSETTLED_RTT } from '../helpers/results.js';

describe('snapshots', () => {
  const result = UNSETTLED_RTT;

  it('keep whether a result settled and each benchmark’s parameters hash', () => {
    const state = new DutResults();
    state.publish(result);
    state.benchmarkConfigs.set('netperf', '0123456789ab');
    const back = restoreSnapshot(JSON.parse(JSON.stringify(snapshotOf(state))) as DutSnapshot);
    expect([...back.results.values()][0]?.settled).toBe(false);
    expect(back.benchmarkConfigs.get('netperf')).toBe('0123456789ab');
  });

  it('read a snapshot from before `settled` and `benchmarkConfigs` existed', () => {
    const state = new DutResults();
    state.publish(result);
    const old = JSON.parse(JSON.stringify(snapshotOf(state)));
    delete old.results[0].settled;
    delete old.benchmarkConfigs;
    const back = restoreSnapshot(old as DutSnapshot);
    expect([...back.results.values()][0]?.settled).toBe(true);
    expect(back.benchmarkConfigs.size).toBe(0);
  });
});
