// Many cheap DUTs: extra dropbear servers in a lab DUT's network and mount namespaces (same host key,
// same authorized key, busybox ash as root's shell), one TCP port each on the DUT's address.
import { existsSync, readFileSync } from 'node:fs';
import { mustRun } from './exec.js';
import type { Lab } from './lab.js';

export interface SimDuts {
  ports: number[];
  /** Kills the dropbear servers started here, each by its pid. */
  stop(): void;
}

export async function startSimDuts(lab: Lab, count: number, basePort: number): Promise<SimDuts> {
  const labDropbear = readFileSync(`${lab.dir}/dropbear.pid`, 'utf8').trim();
  const pidFile = (i: number) => `${lab.work}/sim-dropbear-${i}.pid`;
  // dropbear daemonizes itself: one short shell in the lab's namespaces starts them all
  const script = [
    'i=0',
    `while [ "$i" -lt ${count} ]; do`,
    `  dropbear -r ${lab.dir}/dut-hostkey -p ${lab.dut.host}:$((${basePort} + i)) -P ${lab.work}/sim-dropbear-$i.pid -s -g || exit 1`,
    '  i=$((i + 1))',
    'done',
  ].join('\n');
  await mustRun(['nsenter', '-t', labDropbear, '-m', '-n', 'sh', '-c', script]);
  const ports = Array.from({ length: count }, (_, i) => basePort + i);
  return {
    ports,
    stop() {
      for (let i = 0; i < count; i++) {
        if (!existsSync(pidFile(i))) continue;
        try {
          process.kill(Number(readFileSync(pidFile(i), 'utf8').trim()), 'SIGTERM');
        } catch {
          // already gone
        }
      }
    },
  };
}
