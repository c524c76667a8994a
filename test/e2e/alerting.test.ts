// The veth-transmit alert end to end: a lab shaped to 100 Mbit/s, edgebench serving nuttcp rounds,
// Debian's Prometheus loading the shipped rules (with a shorter `for:`), Debian's Alertmanager
// receiving. Unshaped, nothing fires; with the veth container's transmit direction shaped well
// below native (tc inside the container), the alert arrives, for veth only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labRoot, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { cli, repoRoot } from '../../harness/repo.js';
import { labName, waitFor } from '../helpers/lab.js';
import { type PromSample, query, type Server, startAlertmanager, startPrometheus } from '../helpers/prometheus.js';

requireRoot('the alerting end-to-end test');
const name = labName('a');
const dut = `lab-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-alert-'));
const ALERT = 'EdgebenchVethTransmitRegression';
let serveProc: ChildProcess | undefined;
let serveLog = '';
let prometheus: Server | undefined;
let alertmanager: Server | undefined;

/** The shipped rule files with every `for:` cut to 10s, so the test need not wait half an hour. */
function testRuleFiles(): string[] {
  const dir = join(repoRoot, 'prometheus/rules');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => {
      const path = join(work, f);
      writeFileSync(path, readFileSync(join(dir, f), 'utf8').replace(/^(\s+for:\s*).+$/gm, '$110s'));
      return path;
    });
}

const firing = async (labels = '') => query(prometheus?.url as string, `ALERTS{alertname="${ALERT}", alertstate="firing"${labels}}`);

async function received(): Promise<{ labels: Record<string, string>; annotations: Record<string, string> }[]> {
  const res = await fetch(`${alertmanager?.url}/api/v2/alerts?${new URLSearchParams({ filter: `alertname="${ALERT}"` })}`);
  return (await res.json()) as { labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** Waits until the rounds that finish from now on have been scraped. */
async function nextRoundScraped(): Promise<void> {
  const completion = async () =>
    Number((await query(prometheus?.url as string, `edgebench_round_last_completion_timestamp_seconds{dut="${dut}"}`))[0]?.value[1] ?? 0);
  const before = await completion();
  await waitFor('the next round in Prometheus', 180_000, async () => ((await completion()) > before ? true : undefined));
}

beforeAll(async () => {
  const cfg = parse(readFileSync(labUp(name, '--shape', '100mbit'), 'utf8'));
  const port = await freePort();
  cfg.listen = `127.0.0.1:${port}`;
  cfg.schedule = { interval: '15s' };
  // the alert fires on the change's 95% interval: one value per series has no spread, no interval
  cfg.repetitions = 3;
  cfg.duts[0].benchmarks = { nuttcp: { duration: '2s' } };
  const file = join(work, 'edgebench.yml');
  writeFileSync(file, stringify(cfg));

  alertmanager = await startAlertmanager(join(work, 'alertmanager'));
  prometheus = await startPrometheus({
    dir: join(work, 'prometheus'),
    target: `127.0.0.1:${port}`,
    ruleFiles: testRuleFiles(),
    alertmanager: alertmanager.url,
    userAssets: join(repoRoot, 'docs'), // as docker-compose.yml: the runbook the alerts link to
  });
  serveProc = spawn(process.execPath, [cli, 'serve', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  serveProc.stderr?.on('data', (d) => {
    serveLog += d;
  });
  await waitFor('the veth transmit ratio in Prometheus', 240_000, async () => {
    if (serveProc?.exitCode !== null) throw new Error(`edgebench serve exited: ${serveLog}`);
    const r = await query(prometheus?.url as string, `dut:edgebench_nuttcp_goodput_bytes_per_second:lxc_vs_native_ratio{dut="${dut}"}`);
    return r.length === 4 ? r : undefined;
  });
}, 300_000);

afterAll(() => {
  serveProc?.kill('SIGKILL');
  prometheus?.stop();
  alertmanager?.stop();
  labDown(name);
});

describe(`the veth transmit alert on lab ${name}`, () => {
  it('does not fire while veth goes as fast as native', async () => {
    await nextRoundScraped();
    // two evaluations past the shortened for: 10s
    await new Promise((r) => setTimeout(r, 15_000));
    const ratios = await query(
      prometheus?.url as string,
      `dut:edgebench_nuttcp_goodput_bytes_per_second:lxc_vs_native_ratio{dut="${dut}"}`,
    );
    for (const r of ratios) expect(Math.abs(Number(r.value[1])), JSON.stringify(r.metric)).toBeLessThan(0.1);
    expect(await firing()).toEqual([]);
    expect(await received()).toEqual([]);
  }, 240_000);

  it('fires, and reaches Alertmanager, once the veth container transmits well below native', async () => {
    execFileSync('ip', [
      'netns',
      'exec',
      `eb-${name}`,
      'lxc-attach',
      '-P',
      join(labRoot, name, 'lxc'),
      '-n',
      'veth0',
      '--',
      'tc',
      'qdisc',
      'replace',
      'dev',
      'eth0',
      'root',
      'tbf',
      'rate',
      '40mbit',
      'burst',
      '32kb',
      'latency',
      '50ms',
    ]);
    const alerts = await waitFor('the alert in Alertmanager', 240_000, async () => {
      const r = await received();
      return r.length > 0 ? r : undefined;
    });
    expect(alerts.map((a) => a.labels)).toEqual([expect.objectContaining({ alertname: ALERT, dut, severity: expect.any(String) })]);
    // its runbook link, as Alertmanager passes it on, opens the runbook that has its section
    const link = alerts[0]?.annotations.runbook_url ?? '';
    expect(link).toBe(`${prometheus?.url}/user/runbook.md#${ALERT.toLowerCase()}`);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`\n## ${ALERT}\n`);
    const ratio = await query(
      prometheus?.url as string,
      `dut:edgebench_nuttcp_goodput_bytes_per_second:lxc_vs_native_ratio{dut="${dut}", netdev="veth", direction="transmit"}`,
    );
    expect(Number((ratio[0] as PromSample).value[1])).toBeLessThan(-0.4);
  }, 300_000);

  it('fires for veth transmit only: not for macvlan, not for the receive direction', async () => {
    const all = await firing();
    expect(all.length).toBeGreaterThan(0);
    expect(await firing(', netdev="macvlan"')).toEqual([]);
    expect(await firing(', direction="receive"')).toEqual([]);
    expect((await received()).every((a) => a.labels.netdev !== 'macvlan' && a.labels.direction !== 'receive')).toBe(true);
  });
});
