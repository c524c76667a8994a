// The container packaging, checked without a Docker engine: Debian's docker-compose 1.29.2 validates
// and normalizes docker-compose.yml, docker-py (which that docker-compose builds with) evaluates
// .dockerignore, the Dockerfile is read instruction by instruction, and amtool checks Alertmanager's
// configuration. The services' health checks and Alertmanager's entrypoint are run here, outside any
// container, with the paths of the normalized compose file mapped through its bind mounts: the
// edgebench one with node against a real `edgebench serve` with TLS and basic auth, the others with
// busybox wget or curl against a local server. Nothing here builds or runs an image.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../../harness/ports.js';
import { cli } from '../../harness/repo.js';
import { waitFor } from '../helpers/lab.js';
import { ServeProcess } from '../helpers/serve-process.js';
import { tool } from '../http/pki.js';

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
  for (const k of Object.keys(env)) if (/^(EDGEBENCH_|GRAFANA_|PROMETHEUS_|ALERTMANAGER_|COMPOSE_)/.test(k)) delete env[k];
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
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  extra_hosts?: string[];
  volumes?: (BindMount | string)[];
  tmpfs?: string[];
  ports?: (string | { published: number; target: number })[];
  healthcheck?: { test?: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string; disable?: boolean };
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const binds = (s: Service | undefined) => (s?.volumes ?? []).filter((v): v is BindMount => typeof v === 'object' && v.type === 'bind');
const named = (s: Service | undefined) => (s?.volumes ?? []).filter((v): v is string => typeof v === 'string');
const bindAt = (s: Service | undefined, target: string) => binds(s).find((b) => b.target === target);

interface Mount {
  target: string;
  /** The host path of a bind mount; undefined for a named volume. */
  source?: string;
  readOnly: boolean;
}
/** Every mount of a service: bind mounts, and named volumes ("name:target:mode" once normalized). */
function mounts(s: Service | undefined): Mount[] {
  return [
    ...binds(s).map((b) => ({ target: b.target, source: b.source, readOnly: b.read_only === true })),
    ...named(s).map((v) => {
      const [, target = '', mode = 'rw'] = v.split(':');
      return { target, readOnly: mode.split(',').includes('ro') };
    }),
  ];
}
/** The mount a container path lies in (the deepest one), or undefined. */
function mountOf(s: Service | undefined, path: string): Mount | undefined {
  return mounts(s)
    .filter((m) => path === m.target || path.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
}
/** Where a container path of a bind mount is on the host: what the process in the container reads. */
function hostPath(s: Service | undefined, path: string): string {
  const m = mountOf(s, path);
  if (!m?.source) throw new Error(`${path} is in no bind mount of the service`);
  return join(m.source, posix.relative(m.target, path));
}

const PASSWORD = 'only-for-this-test';
let compose: Compose;

let composeStderr = '';

beforeAll(() => {
  requireTool('docker-compose', 'docker-compose');
  const r = composeConfig({ GRAFANA_ADMIN_PASSWORD: PASSWORD });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`docker-compose config failed (exit ${r.status}):\n${r.stderr}`);
  compose = parse(r.stdout) as Compose;
  composeStderr = r.stderr;
});

describe('docker-compose.yml, as docker-compose 1.29.2 normalizes it', () => {
  it('is accepted without a warning with the required variable set', () => {
    expect(composeStderr).toBe('');
  });

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

  it("mounts the user's config directory read-only, ./config by default or EDGEBENCH_CONFIG_DIR, and serves from files in it", () => {
    const eb = compose.services.edgebench;
    // The directory, not single files: a rename-on-save replaces the file's inode, which a bind
    // mount of the file would not follow.
    expect(bindAt(eb, '/etc/edgebench')).toEqual({ type: 'bind', source: at('config'), target: '/etc/edgebench', read_only: true });
    expect(
      binds(eb).filter((b) => b.target.startsWith('/etc/edgebench/')),
      'no single file mounted over the directory',
    ).toEqual([]);
    expect(eb?.command).toEqual(['serve', '-c', '/etc/edgebench/edgebench.yml', '--web.config.file=/etc/edgebench/web.yml']);
    for (const path of [
      '/etc/edgebench/edgebench.yml',
      '/etc/edgebench/web.yml',
      eb?.environment?.EDGEBENCH_HEALTHCHECK_PASSWORD_FILE ?? '',
    ]) {
      expect(mountOf(eb, path)?.target, `${path} is in the config directory`).toBe('/etc/edgebench');
    }
    const r = composeConfig({ GRAFANA_ADMIN_PASSWORD: PASSWORD, EDGEBENCH_CONFIG_DIR: '/srv/lab/edgebench' });
    expect(r.status, r.stderr).toBe(0);
    const moved = (parse(r.stdout) as Compose).services.edgebench;
    expect(bindAt(moved, '/etc/edgebench')?.source).toBe('/srv/lab/edgebench');
  });

  it('mounts every repository file and directory read-only, and each exists', () => {
    const expected: [string, string, 'file' | 'dir'][] = [
      ['prometheus', '/etc/prometheus', 'dir'],
      ['alertmanager', '/etc/alertmanager', 'dir'],
      ['grafana', '/etc/grafana/provisioning', 'dir'],
      ['grafana', '/var/lib/grafana/dashboards', 'dir'],
      ['prometheus', '/usr/share/edgebench/docs', 'dir'],
      ['edgebench', '/usr/local/lib/edgebench/healthcheck.mjs', 'file'],
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
    expect(bindAt(compose.services.alertmanager, '/etc/alertmanager')?.source).toBe(at('alertmanager'));
    expect(bindAt(compose.services.edgebench, '/usr/local/lib/edgebench/healthcheck.mjs')?.source).toBe(at('docker/healthcheck.mjs'));
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
    // Alertmanager starts through alertmanager/entrypoint.sh, which adds --config.file (see below).
    const am = compose.services.alertmanager;
    expect(am?.entrypoint).toEqual(['/bin/sh', '/etc/alertmanager/entrypoint.sh']);
    expect(existsSync(hostPath(am, '/etc/alertmanager/entrypoint.sh'))).toBe(true);
    expect(am?.command).toContain('--storage.path=/alertmanager');
    expect(am?.command?.some((a) => a.startsWith('--config.file'))).toBe(false);
  });

  it('serves the mounted docs/ from Prometheus at the address the alerts link to (runbook_url)', () => {
    const prom = compose.services.prometheus;
    const assets = prom?.command?.find((a) => a.startsWith('--web.user-assets='))?.split('=')[1] ?? '';
    expect(assets, '--web.user-assets').not.toBe('');
    // the runbook the rules link to: <external URL>/user/runbook.md (test/prometheus/runbook-url.test.ts)
    expect(mountOf(prom, `${assets}/runbook.md`)?.readOnly).toBe(true);
    expect(hostPath(prom, `${assets}/runbook.md`)).toBe(at('docs/runbook.md'));
    // where a browser on the test machine reaches it: the published loopback port
    expect(prom?.command).toContain('--web.external-url=http://localhost:9090');
    expect(prom?.ports).toContainEqual(expect.stringMatching(/^127\.0\.0\.1:9090:9090/));
    const r = composeConfig({ GRAFANA_ADMIN_PASSWORD: PASSWORD, PROMETHEUS_EXTERNAL_URL: 'https://lab.example/prometheus' });
    expect(r.status, r.stderr).toBe(0);
    expect((parse(r.stdout) as Compose).services.prometheus?.command).toContain('--web.external-url=https://lab.example/prometheus');
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

/** A local HTTP server answering `status(path)`, on 127.0.0.1; resolves with its port and a close(). */
async function stubServer(status: (path: string) => number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    res.statusCode = status(req.url ?? '');
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs argv; resolves with its exit code and stderr. */
function run(argv: string[], env: Env): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(argv[0] ?? '', argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('health checks', () => {
  it('every service has one that runs a command (not disabled, not inherited), with its timings', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const hc = s.healthcheck;
      expect(hc, `${name} has a healthcheck`).toBeDefined();
      expect(hc?.disable, name).not.toBe(true);
      expect(hc?.test?.[0], `${name}: exec form, no shell needed in the image`).toBe('CMD');
      expect(hc?.test?.length ?? 0, name).toBeGreaterThan(1);
      expect(hc?.interval, name).toMatch(/^\d+[ms]/);
      expect(hc?.timeout, name).toMatch(/^\d+s$/);
      expect(hc?.start_period, name).toMatch(/^\d+[ms]/);
      expect(hc?.retries, name).toBeGreaterThanOrEqual(1);
    }
  });

  /** The port the service publishes, inside the container. */
  const containerPort = (s: Service | undefined) => {
    const p = s?.ports?.[0];
    return typeof p === 'string' ? Number(/:(\d+)(\/tcp)?$/.exec(p)?.[1]) : p?.target;
  };

  // What each image has, read from its Dockerfile: Prometheus' and Alertmanager's are built FROM
  // quay.io/prometheus/busybox (busybox: wget, no curl); Grafana's installs curl (`apk add … curl`)
  // on Alpine, whose busybox also has wget.
  it.each([
    ['prometheus', ['wget'], '/-/healthy'],
    ['alertmanager', ['wget'], '/-/healthy'],
    ['grafana', ['curl', 'wget'], '/api/health'],
  ])('%s: a tool its image has (%s), its own port and %s: 0 on 200, not 0 on 503 or no answer', async (name, tools, path) => {
    const service = compose.services[name];
    const cmd = service?.healthcheck?.test?.slice(1) ?? [];
    expect(tools).toContain(cmd[0]);
    const i = cmd.findIndex((a) => /^https?:\/\//.test(a));
    const url = new URL(cmd[i] ?? 'http://missing');
    expect(url.hostname, 'the container itself, not a name that may not resolve').toBe('127.0.0.1');
    expect(Number(url.port)).toBe(containerPort(service));
    expect(url.pathname).toBe(path);

    // Run it here, against a local server: busybox's wget (as in the busybox images) or curl.
    const binary = cmd[0] === 'wget' ? requireTool('busybox', 'busybox') : requireTool(cmd[0] ?? '', cmd[0] ?? '');
    const check = (port: number) => {
      const argv = [...cmd];
      argv[i] = `http://127.0.0.1:${port}${url.pathname}`;
      return run(cmd[0] === 'wget' ? [binary, ...argv] : [binary, ...argv.slice(1)], { PATH: process.env.PATH });
    };
    const healthy = await stubServer((p) => (p === path ? 200 : 404));
    const failing = await stubServer(() => 503);
    try {
      expect((await check(healthy.port)).code).toBe(0);
      expect((await check(failing.port)).code).not.toBe(0);
    } finally {
      await healthy.close();
      await failing.close();
    }
    expect((await check(healthy.port)).code, 'nothing listening').not.toBe(0);
  });
});

describe('edgebench.example.yml and the edgebench service', () => {
  // The keys naming a file on the test machine (FILE_KEYS in src/config/load.ts), and the journal.
  const FILE_KEYS = ['identity_file', 'passphrase_file', 'password_file'] as const;

  it('names only paths under a directory the service mounts, the journal on a writable one', () => {
    const example = parse(readFileSync(at('edgebench.example.yml'), 'utf8')) as {
      journal?: { path?: string };
      duts: (Record<string, unknown> & { host_key?: { known_hosts?: string } })[];
    };
    const eb = compose.services.edgebench;
    // A relative path is relative to the configuration file, which is the -c argument.
    const configFile = eb?.command?.[(eb?.command?.indexOf('-c') ?? -2) + 1] ?? '';
    expect(configFile).toBe('/etc/edgebench/edgebench.yml');
    const inContainer = (p: string) => posix.resolve(posix.dirname(configFile), p);

    const files: [string, string][] = [];
    example.duts.forEach((dut, n) => {
      for (const key of FILE_KEYS) if (typeof dut[key] === 'string') files.push([`duts[${n}].${key}`, dut[key] as string]);
      if (dut.host_key?.known_hosts) files.push([`duts[${n}].host_key.known_hosts`, dut.host_key.known_hosts]);
    });
    expect(files.length, 'the example names key files').toBeGreaterThanOrEqual(2);
    for (const [key, value] of files) {
      const m = mountOf(eb, inContainer(value));
      expect(m?.target, `${key}: ${value} is in the mounted config directory`).toBe('/etc/edgebench');
      // …in the part of it git ignores (secrets/), where docs/docker-compose.md puts keys
      const onHost = posix.relative(root, hostPath(eb, inContainer(value)));
      const ignored = spawnSync('git', ['check-ignore', '--no-index', '-q', onHost], { cwd: root });
      expect(ignored.status, `${key}: ${value} is ./${onHost} with the default mount, which git ignores`).toBe(0);
    }

    const journal = inContainer(example.journal?.path ?? 'edgebench-journal.sqlite');
    const m = mountOf(eb, journal);
    expect(m, `journal.path ${journal} is in a mount (else it is lost with the container)`).toBeDefined();
    expect(m?.readOnly, `journal.path ${journal} is on a writable mount`).toBe(false);
    expect(m?.source, `journal.path ${journal} is on the named volume`).toBeUndefined();
  });
});

describe('alertmanager/entrypoint.sh, run by busybox sh with busybox applets only', () => {
  const dir = join(work, 'alertmanager');
  const bin = join(dir, 'bin');
  const out = join(dir, 'out');
  const runDir = join(dir, 'run');
  let busybox = '';
  let am: Service | undefined;
  /** The default paths in the script, and the url_file path in the marked lines of the config. */
  const script = () => readFileSync(at('alertmanager/entrypoint.sh'), 'utf8');
  const scriptDefault = (variable: string) => new RegExp(`\\$\\{${variable}:-([^}]+)\\}`).exec(script())?.[1];

  beforeAll(() => {
    busybox = requireTool('busybox', 'busybox');
    am = compose.services.alertmanager;
    const applets = new Set(spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n'));
    mkdirSync(bin, { recursive: true });
    for (const a of ['sh', 'sed', 'grep', 'printf', 'echo', 'cat', 'env']) {
      expect(applets.has(a), `busybox has ${a}`).toBe(true);
      symlinkSync(busybox, join(bin, a));
    }
    // Stands in for the image's alertmanager: records its arguments and environment.
    writeFileSync(join(bin, 'alertmanager'), '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$FAKE_OUT/args"\nenv > "$FAKE_OUT/env"\n', {
      mode: 0o755,
    });
  });

  /** The compose service's entrypoint and command, the script taken from the mounted directory. */
  async function start(webhookUrl: string | undefined, configFile = at('alertmanager/alertmanager.yml')) {
    rmSync(out, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(out);
    mkdirSync(runDir);
    const [shell, path, ...rest] = [...(am?.entrypoint ?? []), ...(am?.command ?? [])];
    expect(shell).toBe('/bin/sh');
    const env: Env = { PATH: bin, FAKE_OUT: out, ALERTMANAGER_CONFIG_FILE: configFile, ALERTMANAGER_RUN_DIR: runDir };
    if (webhookUrl !== undefined) env.ALERTMANAGER_WEBHOOK_URL = webhookUrl;
    const r = await run([busybox, 'sh', hostPath(am, path ?? ''), ...rest], env);
    const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : undefined);
    return { ...r, args: read('args')?.split('\n').slice(0, -1), env: read('env') };
  }

  it('has defaults that are the compose mounts: the config in the mounted directory, the run directory on a tmpfs', () => {
    const config = scriptDefault('ALERTMANAGER_CONFIG_FILE') ?? '';
    expect(hostPath(am, config)).toBe(at('alertmanager/alertmanager.yml'));
    expect(am?.tmpfs).toContain(scriptDefault('ALERTMANAGER_RUN_DIR'));
    expect(am?.environment).toHaveProperty('ALERTMANAGER_WEBHOOK_URL', '');
  });

  it('without ALERTMANAGER_WEBHOOK_URL, starts Alertmanager on the mounted alertmanager.yml as it is', async () => {
    for (const url of [undefined, '']) {
      const r = await start(url);
      expect(r.code, r.stderr).toBe(0);
      expect(r.args).toEqual([`--config.file=${at('alertmanager/alertmanager.yml')}`, ...(am?.command ?? [])]);
      expect(readdirSync(runDir)).toEqual([]);
    }
  });

  it('with ALERTMANAGER_WEBHOOK_URL, gives the default receiver a webhook whose url_file holds the URL', async () => {
    const url = "https://hooks.example/edgebench?token=a&b=$c'd";
    const r = await start(url);
    expect(r.code, r.stderr).toBe(0);
    expect(r.args).toEqual([`--config.file=${join(runDir, 'alertmanager.yml')}`, ...(am?.command ?? [])]);
    expect(r.env, 'the URL is not in the environment Alertmanager runs with').not.toContain('ALERTMANAGER_WEBHOOK_URL');
    expect(r.stderr, 'the URL is not printed').not.toContain('hooks.example');
    expect(readFileSync(join(runDir, 'webhook-url'), 'utf8')).toBe(`${url}\n`);
    for (const f of ['webhook-url', 'alertmanager.yml']) expect(statSync(join(runDir, f)).mode & 0o777, f).toBe(0o600);

    // The generated configuration is the committed one with the webhook turned on, nothing else.
    const text = readFileSync(join(runDir, 'alertmanager.yml'), 'utf8');
    const generated = parse(text) as { receivers: { name: string; webhook_configs?: { url_file: string }[] }[] };
    const committed = parse(readFileSync(at('alertmanager/alertmanager.yml'), 'utf8')) as typeof generated;
    const urlFile = '/run/alertmanager/webhook-url';
    expect(generated).toEqual({
      ...committed,
      receivers: committed.receivers.map((rc) =>
        rc.name === 'default' ? { ...rc, webhook_configs: [{ url_file: urlFile, send_resolved: true }] } : rc,
      ),
    });
    // url_file is read in the container, from the run directory on the tmpfs.
    expect(posix.dirname(urlFile)).toBe(scriptDefault('ALERTMANAGER_RUN_DIR'));

    // amtool here is Debian 12's 0.25, older than url_file (0.26): check the rest of the generated
    // file with the URL inline instead, which 0.25 knows.
    const inline = join(dir, 'inline.yml');
    writeFileSync(inline, text.replace(`url_file: ${urlFile}`, `url: ${JSON.stringify(url)}`));
    const check = spawnSync('amtool', ['check-config', inline], { encoding: 'utf8', timeout: 30_000 });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toContain('1 receivers');
  });

  it.each([
    ['not a URL', 'hooks.example/edgebench'],
    ['another scheme', 'ftp://hooks.example/edgebench'],
    ['a space', 'https://hooks.example/edge bench'],
    ['a tab', 'https://hooks.example/edge\tbench'],
    ['a newline', 'https://hooks.example/edgebench\nurl_file:/etc/passwd'],
  ])('refuses %s, without starting Alertmanager or printing the value', async (_what, url) => {
    const r = await start(url);
    expect(r.code).not.toBe(0);
    expect(r.args).toBeUndefined();
    expect(r.stderr).toMatch(/ALERTMANAGER_WEBHOOK_URL/);
    expect(r.stderr).not.toContain('hooks.example');
    expect(readdirSync(runDir)).toEqual([]);
  });

  it('refuses a URL when the configuration has no marked lines to turn on, rather than dropping it', async () => {
    const unmarked = join(dir, 'unmarked.yml');
    writeFileSync(unmarked, readFileSync(at('alertmanager/alertmanager.yml'), 'utf8').replace(/^.*#@webhook\n/gm, ''));
    const r = await start('https://hooks.example/edgebench', unmarked);
    expect(r.code).not.toBe(0);
    expect(r.args).toBeUndefined();
    expect(r.stderr).toContain('#@webhook');
  });
});

describe("edgebench's health check, against a real `edgebench serve` laid out as docs/docker-compose.md says", () => {
  const HEALTH_PASSWORD = `health-${process.pid}-Zq8`;
  const PROMETHEUS_PASSWORD = `prometheus-${process.pid}-Lw3`;
  let port = 0;
  let eb: Service | undefined;
  let serve: ServeProcess | undefined;

  /** A config directory: edgebench.yml, web.yml, secrets/ (an SSH key, and what `files` adds). */
  function configDir(name: string, web: string, files: Record<string, string> = {}): string {
    const dir = join(work, name);
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'secrets/id_ed25519')]);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    writeFileSync(join(dir, 'web.yml'), web);
    writeFileSync(
      join(dir, 'edgebench.yml'),
      stringify({
        listen: `127.0.0.1:${port}`,
        journal: { path: join(dir, 'journal.sqlite') },
        schedule: { interval: '24h' },
        duts: [
          {
            name: 'unreachable',
            host: '192.0.2.1', // TEST-NET-1: rounds fail, the exporter stays up
            identity_file: 'secrets/id_ed25519',
            host_key: { insecure_skip_verify: true },
            benchmarks: { sysbench: { modes: ['native'] } },
          },
        ],
      }),
    );
    return dir;
  }

  /** The compose service with these settings, and `edgebench serve` started from its command. */
  async function startFromCompose(dir: string, vars: Env): Promise<void> {
    const r = composeConfig({ GRAFANA_ADMIN_PASSWORD: PASSWORD, EDGEBENCH_CONFIG_DIR: dir, ...vars });
    expect(r.status, r.stderr).toBe(0);
    eb = (parse(r.stdout) as Compose).services.edgebench;
    const [command, c, file, ...rest] = eb?.command ?? [];
    expect([command, c]).toEqual(['serve', '-c']);
    const args = rest.map((a) => a.replace(/(^|=)(\/\S+)$/, (_m, pre: string, p: string) => pre + hostPath(eb, p)));
    serve = ServeProcess.start(hostPath(eb, file ?? ''), port, { args });
    const started = serve;
    await waitFor('edgebench serve to listen', 30_000, async () => {
      if (started.proc.exitCode !== null) throw new Error(`edgebench serve exited (${started.proc.exitCode}):\n${started.log}`);
      return new Promise<true | undefined>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        }).on('error', () => resolve(undefined));
      });
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${started.log}`);
    });
  }

  /** The compose healthcheck command, run here: the mounted script, the service's environment. */
  function healthcheck(change: Env = {}) {
    const [cmd, node, script] = eb?.healthcheck?.test ?? [];
    expect([cmd, node]).toEqual(['CMD', 'node']);
    const env: Env = { PATH: process.env.PATH, ...eb?.environment };
    env.EDGEBENCH_HEALTHCHECK_PASSWORD_FILE = hostPath(eb, env.EDGEBENCH_HEALTHCHECK_PASSWORD_FILE ?? '');
    return run([process.execPath, hostPath(eb, script ?? '')], { ...env, ...change });
  }

  beforeAll(async () => {
    port = await freePort();
    if (!existsSync(cli)) throw new Error(`${cli} is missing: the test setup builds it (npx tsc -p tsconfig.build.json)`);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  describe('TLS with a self-signed certificate, and basic auth', () => {
    beforeAll(async () => {
      const dir = configDir('config-tls', '', {});
      // Self-signed, for a name that is not 127.0.0.1: what the check must accept.
      tool('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'secrets/tls.key'),
        '-out',
        join(dir, 'secrets/tls.crt'),
        '-days',
        '2',
        '-subj',
        '/CN=edgebench.lab.example',
        '-addext',
        'subjectAltName=DNS:edgebench.lab.example',
      ]);
      writeFileSync(
        join(dir, 'web.yml'),
        stringify({
          tls_server_config: { cert_file: 'secrets/tls.crt', key_file: 'secrets/tls.key' },
          basic_auth_users: { healthcheck: bcrypt.hashSync(HEALTH_PASSWORD, 4), prometheus: bcrypt.hashSync(PROMETHEUS_PASSWORD, 4) },
        }),
      );
      writeFileSync(join(dir, 'secrets/healthcheck-password'), `${HEALTH_PASSWORD}\n`);
      await startFromCompose(dir, {
        EDGEBENCH_HEALTHCHECK_URL: `https://127.0.0.1:${port}/-/healthy`,
        EDGEBENCH_HEALTHCHECK_USER: 'healthcheck',
      });
      // TLS and basic auth are on: HTTPS without credentials is refused.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpsGet(`https://127.0.0.1:${port}/-/healthy`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on('error', reject);
      });
      expect(status).toBe(401);
    });
    afterAll(async () => {
      await serve?.stop();
    });

    it('is healthy with the user and password file the compose environment names', async () => {
      const r = await healthcheck();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });

    it('is unhealthy with a wrong password, without a user, over plain HTTP, or on another path, and never prints the password', async () => {
      const cases: Env[] = [
        { EDGEBENCH_HEALTHCHECK_USER: 'prometheus' },
        { EDGEBENCH_HEALTHCHECK_USER: '' },
        { EDGEBENCH_HEALTHCHECK_URL: `http://127.0.0.1:${port}/-/healthy` },
        { EDGEBENCH_HEALTHCHECK_URL: `https://127.0.0.1:${port}/-/nothing-here` },
        { EDGEBENCH_HEALTHCHECK_PASSWORD_FILE: join(work, 'no-such-file') },
      ];
      for (const change of cases) {
        const r = await healthcheck(change);
        expect(r.code, JSON.stringify(change)).toBe(1);
        expect(r.stderr, JSON.stringify(change)).toMatch(/^unhealthy: /);
        expect(r.stderr).not.toContain(HEALTH_PASSWORD);
      }
      expect((await healthcheck({ EDGEBENCH_HEALTHCHECK_USER: '' })).stderr).toContain('401');
    });

    it('is unhealthy once edgebench has stopped', async () => {
      await serve?.stop();
      const r = await healthcheck();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ECONNREFUSED');
    });
  });

  describe('an empty web.yml: plain HTTP without authentication', () => {
    beforeAll(async () => {
      port = await freePort();
      await startFromCompose(configDir('config-plain', ''), { EDGEBENCH_HEALTHCHECK_URL: `http://127.0.0.1:${port}/-/healthy` });
    });
    afterAll(async () => {
      await serve?.stop();
    });

    it('serves, and the health check with the compose defaults (no user) is healthy', async () => {
      expect((await fetch(`http://127.0.0.1:${port}/-/healthy`)).status, 'plain HTTP, no credentials').toBe(200);
      expect(eb?.environment?.EDGEBENCH_HEALTHCHECK_USER).toBe('');
      const r = await healthcheck();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  });
});
