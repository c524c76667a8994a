// The container packaging, checked without a Docker engine: Debian's docker-compose 1.29.2 validates
// and normalizes docker-compose.yml, docker-py (which that docker-compose builds with) evaluates
// .dockerignore, the Dockerfile is read instruction by instruction, and amtool checks Alertmanager's
// configuration. Nothing here builds or runs an image.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const at = (p: string) => join(root, p);
const work = mkdtempSync(join(tmpdir(), 'edgebench-compose-'));
// An empty --env-file: a developer's own .env must not change what is checked.
const emptyEnv = join(work, 'empty.env');
writeFileSync(emptyEnv, '');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The path of `tool`, or a failure that says which Debian package provides it. */
function requireTool(tool: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`${tool} is not installed: these tests need Debian's ${debianPackage} package (lab/install-deps.sh installs it)`);
  }
  return path;
}

type Env = Record<string, string | undefined>;

/** `docker-compose config` with only the variables given (none of the caller's EDGEBENCH_*, GRAFANA_*, …). */
function composeConfig(vars: Env) {
  const env: Env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(EDGEBENCH_|GRAFANA_|PROMETHEUS_|COMPOSE_)/.test(k)) delete env[k];
  return spawnSync('docker-compose', ['--env-file', emptyEnv, '-f', 'docker-compose.yml', 'config'], {
    cwd: root,
    env: { ...env, ...vars },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

interface BindMount {
  type: 'bind';
  source: string;
  target: string;
  read_only?: boolean;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  network_mode?: string;
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  extra_hosts?: string[];
  volumes?: (BindMount | string)[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const binds = (s: Service | undefined) => (s?.volumes ?? []).filter((v): v is BindMount => typeof v === 'object' && v.type === 'bind');
const named = (s: Service | undefined) => (s?.volumes ?? []).filter((v): v is string => typeof v === 'string');
const bindAt = (s: Service | undefined, target: string) => binds(s).find((b) => b.target === target);

const PASSWORD = 'only-for-this-test';
let compose: Compose;

beforeAll(() => {
  requireTool('docker-compose', 'docker-compose');
  const r = composeConfig({ GRAFANA_ADMIN_PASSWORD: PASSWORD });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`docker-compose config failed (exit ${r.status}):\n${r.stderr}`);
  compose = parse(r.stdout) as Compose;
});

describe('docker-compose.yml, as docker-compose 1.29.2 normalizes it', () => {
  it('has the four services and their persistent volumes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'edgebench', 'grafana', 'prometheus']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['alertmanager-data', 'edgebench-data', 'grafana-data', 'prometheus-data']);
    expect(named(compose.services.edgebench)).toContain('edgebench-data:/var/lib/edgebench:rw');
    expect(named(compose.services.prometheus)).toContain('prometheus-data:/prometheus:rw');
    expect(named(compose.services.alertmanager)).toContain('alertmanager-data:/alertmanager:rw');
    expect(named(compose.services.grafana)).toContain('grafana-data:/var/lib/grafana:rw');
    for (const [name, s] of Object.entries(compose.services)) expect(s.restart, name).toBe('unless-stopped');
  });

  it('pins every pulled image to a version tag', () => {
    for (const name of ['prometheus', 'alertmanager', 'grafana']) {
      const image = compose.services[name]?.image ?? '';
      expect(image, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it('builds edgebench from the Dockerfile and runs it in the host network namespace', () => {
    const eb = compose.services.edgebench;
    expect(eb?.build).toEqual({ context: root, dockerfile: 'Dockerfile' });
    expect(eb?.image).toBeUndefined();
    expect(eb?.network_mode).toBe('host');
  });

  it("mounts the user's config and secrets read-only, from ./ by default or from the environment", () => {
    const eb = compose.services.edgebench;
    expect(bindAt(eb, '/etc/edgebench/edgebench.yml')).toEqual({
      type: 'bind',
      source: at('edgebench.yml'),
      target: '/etc/edgebench/edgebench.yml',
      read_only: true,
    });
    expect(bindAt(eb, '/etc/edgebench/secrets')).toEqual({
      type: 'bind',
      source: at('secrets'),
      target: '/etc/edgebench/secrets',
      read_only: true,
    });
    const r = composeConfig({
      GRAFANA_ADMIN_PASSWORD: PASSWORD,
      EDGEBENCH_CONFIG: '/srv/lab/edgebench.yml',
      EDGEBENCH_SECRETS: '/srv/lab/keys',
    });
    expect(r.status, r.stderr).toBe(0);
    const moved = (parse(r.stdout) as Compose).services.edgebench;
    expect(bindAt(moved, '/etc/edgebench/edgebench.yml')?.source).toBe('/srv/lab/edgebench.yml');
    expect(bindAt(moved, '/etc/edgebench/secrets')?.source).toBe('/srv/lab/keys');
  });

  it('mounts every repository file and directory read-only, and each exists', () => {
    const expected: [string, string, 'file' | 'dir'][] = [
      ['prometheus', '/etc/prometheus', 'dir'],
      ['alertmanager', '/etc/alertmanager/alertmanager.yml', 'file'],
      ['grafana', '/etc/grafana/provisioning', 'dir'],
      ['grafana', '/var/lib/grafana/dashboards', 'dir'],
    ];
    for (const [service, target, kind] of expected) {
      const b = bindAt(compose.services[service], target);
      expect(b, `${service} mounts ${target}`).toBeDefined();
      expect(b?.read_only, `${service}:${target} read-only`).toBe(true);
      const source = b?.source ?? '';
      expect(existsSync(source), `${source} (mounted at ${service}:${target}) exists in the repository`).toBe(true);
      expect(statSync(source).isDirectory(), `${source} is a ${kind}`).toBe(kind === 'dir');
    }
    expect(bindAt(compose.services.prometheus, '/etc/prometheus')?.source).toBe(at('prometheus'));
    expect(bindAt(compose.services.alertmanager, '/etc/alertmanager/alertmanager.yml')?.source).toBe(at('alertmanager/alertmanager.yml'));
    expect(bindAt(compose.services.grafana, '/etc/grafana/provisioning')?.source).toBe(at('grafana/provisioning'));
    expect(bindAt(compose.services.grafana, '/var/lib/grafana/dashboards')?.source).toBe(at('grafana/dashboards'));
    for (const [name, s] of Object.entries(compose.services)) {
      for (const b of binds(s)) expect(b.read_only, `${name}: ${b.source} -> ${b.target} read-only`).toBe(true);
    }
  });

  it('starts Prometheus and Alertmanager on the mounted configuration and keeps 90 days', () => {
    const prom = compose.services.prometheus?.command ?? [];
    expect(prom).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prom).toContain('--storage.tsdb.path=/prometheus');
    expect(prom).toContain('--storage.tsdb.retention.time=90d');
    expect(prom).toContain('--web.enable-lifecycle');
    expect(compose.services.alertmanager?.command).toContain('--config.file=/etc/alertmanager/alertmanager.yml');
    expect(compose.services.alertmanager?.command).toContain('--storage.path=/alertmanager');
  });

  it("reaches every address prometheus/prometheus.yml names from Prometheus' container", () => {
    const file = at('prometheus/prometheus.yml');
    expect(existsSync(file), `${file} exists`).toBe(true);
    const config = parse(readFileSync(file, 'utf8')) as {
      rule_files?: string[];
      scrape_configs?: { job_name: string; static_configs?: { targets: string[] }[] }[];
      alerting?: { alertmanagers?: { static_configs?: { targets: string[] }[] }[] };
    };
    // Names Prometheus resolves: the services on the compose network, and its extra_hosts entries
    // (edgebench is on the host's network, so it is one of those).
    const bridged = Object.entries(compose.services)
      .filter(([, s]) => s.network_mode === undefined)
      .map(([n]) => n);
    const extra = (compose.services.prometheus?.extra_hosts ?? []).map((h) => h.split(':')[0]);
    expect(extra).toContain('edgebench');
    expect(compose.services.prometheus?.extra_hosts).toContain('edgebench:host-gateway');
    const resolvable = new Set([...bridged, ...extra, 'localhost']);

    const job = config.scrape_configs?.find((j) => j.job_name === 'edgebench');
    const scraped = job?.static_configs?.flatMap((s) => s.targets) ?? [];
    expect(scraped).toContain('edgebench:9877');
    const alertmanagers = config.alerting?.alertmanagers?.flatMap((a) => a.static_configs?.flatMap((s) => s.targets) ?? []) ?? [];
    expect(alertmanagers).toContain('alertmanager:9093');
    for (const target of [...scraped, ...alertmanagers]) {
      expect(resolvable.has(target.split(':')[0] ?? ''), `${target} resolves inside the Prometheus container`).toBe(true);
    }
    // Relative rule_files resolve next to prometheus.yml, i.e. inside the mounted /etc/prometheus.
    for (const rules of config.rule_files ?? []) expect(rules.startsWith('/'), `rule_files entry ${rules} is relative`).toBe(false);
  });

  it("points Grafana's provisioning at the Prometheus service and the mounted dashboards", () => {
    const yamls = (dir: string) =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => /\.ya?ml$/.test(f))
            .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown[] | undefined>)
        : [];
    const datasources = yamls(at('grafana/provisioning/datasources')).flatMap(
      (f) => (f.datasources ?? []) as { type: string; url?: string }[],
    );
    const prom = datasources.filter((d) => d.type === 'prometheus');
    expect(prom.length, 'a provisioned Prometheus datasource in grafana/provisioning/datasources').toBeGreaterThan(0);
    for (const d of prom) expect(d.url).toBe('http://prometheus:9090');
    const providers = yamls(at('grafana/provisioning/dashboards')).flatMap((f) => (f.providers ?? []) as { options?: { path?: string } }[]);
    expect(providers.length, 'a dashboard provider in grafana/provisioning/dashboards').toBeGreaterThan(0);
    for (const p of providers) expect(p.options?.path ?? '').toMatch(/^\/var\/lib\/grafana\/dashboards(\/|$)/);
  });

  it("takes Grafana's admin password from the environment and refuses to start without one", () => {
    expect(compose.services.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(PASSWORD);
    const compose_ = readFileSync(at('docker-compose.yml'), 'utf8');
    expect(compose_).toMatch(/GF_SECURITY_ADMIN_PASSWORD: \$\{GRAFANA_ADMIN_PASSWORD:\?/);
    const r = composeConfig({});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('set GRAFANA_ADMIN_PASSWORD');
  });
});

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments and the parser directive dropped. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [keyword = '', ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The repository files docker-py sends as build context for `root` (it honours .dockerignore as the engine does). */
function buildContext(dir: string): string[] {
  const composePath = requireTool('docker-compose', 'docker-compose');
  // The interpreter docker-compose itself runs on has docker-py.
  const python = /^#!\s*(\S+)/.exec(readFileSync(composePath, 'utf8'))?.[1] ?? 'python3';
  const script = [
    'import json, sys',
    'from docker.utils.build import exclude_paths',
    'root = sys.argv[1]',
    "patterns = [l.strip() for l in open(root + '/.dockerignore') if l.strip() and not l.lstrip().startswith('#')]",
    'print(json.dumps(sorted(exclude_paths(root, patterns))))',
  ].join('\n');
  const r = spawnSync(python, ['-c', script, dir], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`docker-py could not evaluate .dockerignore:\n${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

describe('Dockerfile', () => {
  const text = readFileSync(at('Dockerfile'), 'utf8');
  const all = instructions(text);
  const stages: Instruction[][] = [];
  for (const i of all) {
    if (i.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(i);
  }
  const runtime = stages.at(-1) ?? [];
  const args = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);

  it('builds on Node 20 bookworm-slim in every stage, compiling with npm ci and npm run build', () => {
    expect(all.find((i) => i.keyword === 'ARG')?.args).toBe('NODE_IMAGE=node:20-bookworm-slim');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s[0]?.args).toMatch(/^\$\{NODE_IMAGE\}( AS \w+)?$/);
    const build = stages.find((s) => / AS build$/.test(s[0]?.args ?? '')) ?? [];
    const buildRuns = args(build, 'RUN').join('\n');
    expect(buildRuns).toMatch(/\bnpm ci\b/);
    expect(buildRuns).toMatch(/\bnpm run build\b/);
    const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };
    expect(pkg.scripts.build).toBeDefined();
    expect(args(stages.flat(), 'RUN').join('\n')).toMatch(/npm ci --omit=dev/);
    expect(args(runtime, 'ARG')).toContain(`EDGEBENCH_VERSION=${pkg.version}`);
  });

  it('installs the TM-side clients from Debian, with non-free enabled for netperf', () => {
    const runs = args(runtime, 'RUN').join('\n');
    const install = /apt-get install ([^;&]*)/.exec(runs)?.[1] ?? '';
    for (const p of ['nuttcp', 'netperf', 'iperf3', 'iproute2', 'ca-certificates']) expect(install.split(/\s+/), p).toContain(p);
    expect(runs).toMatch(/Components: non-free/);
    expect(runs).toMatch(/\/etc\/apt\/sources\.list\.d\/[\w-]+\.sources/);
  });

  it('runs edgebench as the unprivileged user 10001', () => {
    const users = args(runtime, 'USER');
    expect(users.length).toBe(1);
    expect(users[0]).toBe('10001:10001');
    expect(args(runtime, 'RUN').join('\n')).toMatch(/useradd .*--uid 10001 .*edgebench/);
    expect(args(runtime, 'ENTRYPOINT')).toEqual(['["node", "/app/dist/cli.js"]']);
    expect(args(runtime, 'CMD')).toEqual(['["serve", "-c", "/etc/edgebench/edgebench.yml"]']);
    expect(args(runtime, 'EXPOSE')).toEqual(['9877']);
    const labels = args(runtime, 'LABEL').join(' ');
    for (const l of ['title', 'description', 'source', 'licenses', 'version']) expect(labels).toContain(`org.opencontainers.image.${l}=`);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const context = new Set(buildContext(root));
    const aliases = stages.map((s) => / AS (\w+)$/.exec(s[0]?.args ?? '')?.[1]);
    stages.forEach((stage, n) => {
      for (const copy of args(stage, 'COPY')) {
        const words = copy.split(/\s+/);
        const from = /^--from=(\S+)$/.exec(words[0] ?? '')?.[1];
        if (from) {
          expect(aliases.slice(0, n), `COPY ${copy}: stage ${from} comes earlier`).toContain(from);
          continue;
        }
        for (const source of words.slice(0, -1)) {
          expect(existsSync(at(source)), `COPY source ${source} exists`).toBe(true);
          expect(context.has(source.replace(/\/$/, '')), `COPY source ${source} is in the build context`).toBe(true);
        }
      }
    });
  });

  it('keeps keys, configs, .env and node_modules out of the build context', () => {
    const dir = join(work, 'context');
    const files = [
      'package.json',
      'src/cli.ts',
      'secrets/id_ed25519',
      'edgebench.yml',
      '.env',
      'node_modules/x/index.js',
      'dist/cli.js',
      '.git/HEAD',
    ];
    for (const f of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), '');
    }
    writeFileSync(join(dir, '.dockerignore'), readFileSync(at('.dockerignore')));
    const sent = buildContext(dir).filter((f) => !statSync(join(dir, f)).isDirectory());
    expect(sent.sort()).toEqual(['.dockerignore', 'package.json', 'src/cli.ts']);
  });

  it('health-checks /-/healthy with Node alone: 0 when it answers 200, 1 otherwise', async () => {
    const hc = all.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    const argv = JSON.parse(/\bCMD (\[.*\])$/.exec(hc)?.[1] ?? '[]') as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    const env = /EDGEBENCH_HEALTHCHECK_URL=(\S+)/.exec(args(runtime, 'ENV').join(' '))?.[1];
    expect(env).toBe('http://127.0.0.1:9877/-/healthy');

    const server = createServer((req, res) => {
      res.statusCode = req.url === '/-/healthy' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const check = (url: string) =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, argv.slice(1), { env: { ...process.env, EDGEBENCH_HEALTHCHECK_URL: url }, stdio: 'ignore' });
        p.on('exit', (code) => resolve(code));
      });
    try {
      expect(await check(`http://127.0.0.1:${port}/-/healthy`)).toBe(0);
      expect(await check(`http://127.0.0.1:${port}/-/ready`)).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await check(`http://127.0.0.1:${port}/-/healthy`)).toBe(1);
  });
});

describe('alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    requireTool('amtool', 'prometheus-alertmanager');
    const r = spawnSync('amtool', ['check-config', 'alertmanager/alertmanager.yml'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it('groups by alert and DUT', () => {
    const config = parse(readFileSync(at('alertmanager/alertmanager.yml'), 'utf8')) as { route: { receiver: string; group_by: string[] } };
    expect(config.route.group_by).toEqual(['alertname', 'dut']);
  });
});
