// The alerts' default runbook_url, followed for real: Debian's Prometheus with the shipped rules
// (every `for:` cut to 0s) and the clone's docs/ served at /user/, as docker-compose.yml runs it,
// and no exporter at all. EdgebenchExporterDown fires, and its link opens the runbook at its
// section: the page is served by Prometheus, not by the exporter that is down.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/ports.js';
import { repoRoot } from '../../harness/repo.js';
import { waitFor } from '../helpers/lab.js';
import { type Server, startPrometheus } from '../helpers/prometheus.js';

const work = mkdtempSync(join(tmpdir(), 'edgebench-runbook-'));
let prometheus: Server | undefined;

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

beforeAll(async () => {
  const dir = join(repoRoot, 'prometheus/rules');
  const ruleFiles = readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => {
      const path = join(work, f);
      writeFileSync(path, readFileSync(join(dir, f), 'utf8').replace(/^(\s+for:\s*).+$/gm, '$10s'));
      return path;
    });
  prometheus = await startPrometheus({
    dir: join(work, 'prometheus'),
    target: `127.0.0.1:${await freePort()}`, // nobody listens
    ruleFiles,
    intervalSeconds: 1,
    userAssets: join(repoRoot, 'docs'),
  });
});

afterAll(() => {
  prometheus?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the default runbook_url', () => {
  it('opens docs/runbook.md at the alert’s section, served by Prometheus while the exporter is down', async () => {
    const url = prometheus?.url as string;
    const alert = await waitFor('EdgebenchExporterDown firing', 30_000, async () => {
      const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } };
      return body.data.alerts.find((a) => a.labels.alertname === 'EdgebenchExporterDown' && a.state === 'firing');
    });
    expect(alert.annotations.runbook_url).toBe(`${url}/user/runbook.md#edgebenchexporterdown`);
    const page = await fetch(alert.annotations.runbook_url as string);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toBe(readFileSync(join(repoRoot, 'docs/runbook.md'), 'utf8'));
    expect(text).toContain('\n## EdgebenchExporterDown\n');
  });
});
