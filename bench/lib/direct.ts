// The benchmarks run directly, without edgebench: the command lines of README's "Benchmarks" table,
// over plain OpenSSH (servers and sysbench on the DUT, `lxc-attach` for a container) and clients
// spawned on the test machine, each parsed with the simplest reading of the tool's own output.
import { background, run, until } from './exec.js';
import { container, type Lab, listening, netnsPath, ssh, sshArgv } from './lab.js';

export type Netdev = 'host' | 'veth' | 'macvlan';

/** POSIX single quoting, as edgebench quotes (a word of safe characters stays bare). */
export const shellCommand = (argv: readonly string[]) =>
  argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');

/** argv as a shell command on the DUT, natively or inside container `name`. */
export function onDut(lab: Lab, where: string, argv: readonly string[]): string {
  if (where === 'native' || where === 'host') return shellCommand(argv);
  return shellCommand(['lxc-attach', '-P', lab.dut.lxc_path, '-n', where, '--', ...argv]);
}

const number = (text: string, re: RegExp, what: string): number => {
  const m = re.exec(text);
  if (!m) throw new Error(`no ${what} in:\n${text}`);
  return Number(m[1]);
};

export const parseDirect = {
  sysbench: (t: string) => number(t, /total time:\s+([\d.]+)s/, 'sysbench total time'),
  nuttcp: (t: string) => (number(t, /rate_Mbps=([\d.]+)/, 'nuttcp rate_Mbps') * 1e6) / 8,
  netperf: (t: string) => 1 / number(t, /^TRANSACTION_RATE=([\d.]+)/m, 'netperf TRANSACTION_RATE'),
  iperf3: (t: string) => (JSON.parse(t) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 8,
};

/** A server started over ssh in `where` (host or a container name); stopped with `kill PID` over ssh. */
export async function startServer(lab: Lab, where: string, argv: readonly string[], port: number) {
  const inner = `echo $$; exec ${shellCommand(argv)}`;
  const srv = background(sshArgv(lab, onDut(lab, where, ['sh', '-c', inner])));
  const ns = await netnsPath(lab, where);
  await until(`${argv[0]} listening on ${port}`, 10_000, () => listening(ns, port));
  const pid = srv.stdout().split('\n')[0]?.trim();
  return {
    async stop() {
      await ssh(lab, onDut(lab, where, ['kill', pid ?? '']));
      await srv.exited;
    },
  };
}

export function endpoint(lab: Lab, netdev: Netdev): { where: string; address: string } {
  if (netdev === 'host') return { where: 'host', address: lab.dut.host };
  const c = container(lab, netdev);
  return { where: c.name, address: c.address };
}

/** Runs a client on the test machine while `server` runs on the DUT; returns the client's output. */
export async function withServer(
  lab: Lab,
  where: string,
  server: readonly string[],
  port: number,
  client: readonly string[],
): Promise<string> {
  const srv = await startServer(lab, where, server, port);
  try {
    const r = await run(client);
    if (r.code !== 0) throw new Error(`${client.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  } finally {
    await srv.stop();
  }
}
