// Debian's real Prometheus and Alertmanager for tests: started on free loopback ports with their
// storage in a temporary directory, stopped and removed by the caller.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../harness/ports.js';
import { waitFor } from './lab.js';

export interface Server {
  url: string;
  proc: ChildProcess;
  log: () => string;
  stop: () => void;
}

function start(bin: string, args: string[], url: string, ready: string): Promise<Server> {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout?.on('data', (d) => {
    log += d;
  });
  proc.stderr?.on('data', (d) => {
    log += d;
  });
  proc.once('error', (err) => {
    log += `${bin} could not start (${err.message}): the tests need Debian's package; run lab/install-deps.sh`;
  });
  const server = { url, proc, log: () => log, stop: () => proc.kill('SIGKILL') };
  return waitFor(`${bin} at ${url}`, 30_000, async () => {
    if (proc.exitCode !== null || proc.signalCode !== null || log.includes('could not start')) throw new Error(`${bin} exited: ${log}`);
    return (await fetch(`${url}${ready}`)).ok ? server : undefined;
  }).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}\n${log}`);
  });
}

/** Alertmanager with no receiver but its API: the test reads the alerts it received. */
export async function startAlertmanager(dir: string): Promise<Server> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, stringify({ route: { receiver: 'api-only', group_wait: '1s' }, receivers: [{ name: 'api-only' }] }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${config}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ];
  return start('prometheus-alertmanager', args, url, '/-/ready');
}

export interface PrometheusOptions {
  dir: string;
  /** host:port of the edgebench exporter. */
  target: string;
  ruleFiles: string[];
  alertmanager?: string;
  intervalSeconds?: number;
  /** --web.user-assets: a directory served at /user/ (the runbook, as docker-compose.yml does). */
  userAssets?: string;
  externalLabels?: Record<string, string>;
}

export async function startPrometheus(o: PrometheusOptions): Promise<Server> {
  mkdirSync(o.dir, { recursive: true });
  const interval = `${o.intervalSeconds ?? 2}s`;
  const config = join(o.dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: interval, evaluation_interval: interval, external_labels: o.externalLabels },
      rule_files: o.ruleFiles,
      scrape_configs: [{ job_name: 'edgebench', static_configs: [{ targets: [o.target] }] }],
      ...(o.alertmanager
        ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager.replace(/^http:\/\//, '')] }] }] } }
        : {}),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(o.dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // $externalURL in the alerts' runbook_url: by default http://<hostname>:<port>, which this
    // loopback listener may not answer
    `--web.external-url=${url}`,
    ...(o.userAssets ? [`--web.user-assets=${o.userAssets}`] : []),
  ];
  return start('prometheus', args, url, '/-/ready');
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query; throws with Prometheus's own error for a bad expression. */
export async function query(prometheus: string, expr: string): Promise<PromSample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: PromSample[] | [number, string] };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  const { resultType, result } = body.data as { resultType: string; result: unknown };
  // a scalar result (e.g. time()) is one value
  return resultType === 'scalar' ? [{ metric: {}, value: result as [number, string] }] : (result as PromSample[]);
}
