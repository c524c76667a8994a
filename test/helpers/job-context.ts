// A JobContext for unit tests of a benchmark's own logic: DUT and TM commands are answered by
// the test, and every command is recorded.
import type { DutExec, JobContext } from '../../src/benchmarks/types.js';
import type { LocalExec } from '../../src/remote/local-exec.js';

export interface FakeContext extends JobContext {
  dutCommands: string[];
  localCommands: string[][];
  perf: Map<string, boolean>;
}

const unexpectedLocal: LocalExec = async (argv) => {
  throw new Error(`unexpected TM command: ${argv.join(' ')}`);
};

export function fakeContext(exec: DutExec, local: LocalExec = unexpectedLocal): FakeContext {
  const dutCommands: string[] = [];
  const localCommands: string[][] = [];
  const perf = new Map<string, boolean>();
  return {
    dut: 'd1',
    dutCommands,
    localCommands,
    perf,
    signal: new AbortController().signal,
    exec: (cmd, o) => {
      dutCommands.push(cmd);
      return exec(cmd, o);
    },
    local: (argv, o) => {
      localCommands.push([...argv]);
      return local(argv, o);
    },
    perfSupported: (event, supported) => perf.set(event, supported),
  };
}
