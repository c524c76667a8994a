// `npm run build`, after tsc: writes dist/build-info.json, what `edgebench --version` and
// edgebench_exporter_build_info say about the build (as promu stamps Prometheus' binaries): the git
// revision and branch, who built it, when. Outside a git checkout (a tarball, the Docker build
// context) revision and branch are "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** git's answer in the package root, or undefined without git or outside a checkout. */
function git(...args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

// A tarball unpacked inside some other repository (a home directory under git) is not a checkout
// of edgebench: believe git only when it tracks this package.json.
const checkout = git('ls-files', '--error-unmatch', 'package.json') !== undefined;
const revision = (checkout && git('rev-parse', 'HEAD')) || 'unknown';
const branch = (checkout && git('rev-parse', '--abbrev-ref', 'HEAD')) || 'unknown';

let buildUser = 'unknown';
try {
  buildUser = `${userInfo().username}@${hostname()}`;
} catch {
  // no passwd entry for this uid (a container's arbitrary user)
}

// promu's format: 20230409-10:11:09, UTC
const buildDate = new Date()
  .toISOString()
  .replace(/^(\d+)-(\d+)-(\d+)T([\d:]+)\..*$/, '$1$2$3-$4');

mkdirSync(`${root}dist`, { recursive: true });
writeFileSync(`${root}dist/build-info.json`, `${JSON.stringify({ revision, branch, buildUser, buildDate }, null, 2)}\n`);
