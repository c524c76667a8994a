// The edgebench container's health check. docker-compose.yml mounts this file read-only and runs it
// with the image's own node (the image has no curl or wget): GET /-/healthy over HTTP or HTTPS, with
// basic auth when the web config (--web.config.file) has users. Exit 0 on a 2xx answer, else 1 with
// one line on stderr saying why, which `docker inspect` shows. Node builtins only.
//
//   EDGEBENCH_HEALTHCHECK_URL            default http://127.0.0.1:9877/-/healthy; https://… when the
//                                        web config has tls_server_config
//   EDGEBENCH_HEALTHCHECK_USER           a basic_auth_users name; unset or empty: no credentials sent
//   EDGEBENCH_HEALTHCHECK_PASSWORD_FILE  that user's password, the file's first line (read only when
//                                        the user is set); the password is never in the environment
//
// The certificate is not verified (a self-signed one is the usual case, and it rarely names
// 127.0.0.1): the check talks to the loopback address of the host it runs on. Use a user of its
// own for it, so its password can be changed without touching Prometheus'.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 5000;

/** @param {string} why */
function unhealthy(why) {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
}

let url;
try {
  url = new URL(process.env.EDGEBENCH_HEALTHCHECK_URL || 'http://127.0.0.1:9877/-/healthy');
} catch {
  unhealthy('EDGEBENCH_HEALTHCHECK_URL is not a URL');
}
if (url.protocol !== 'http:' && url.protocol !== 'https:') unhealthy(`EDGEBENCH_HEALTHCHECK_URL is ${url.protocol}, not http: or https:`);

/** @type {Record<string, string>} */
const headers = {};
const user = process.env.EDGEBENCH_HEALTHCHECK_USER || '';
if (user) {
  const file = process.env.EDGEBENCH_HEALTHCHECK_PASSWORD_FILE || '';
  if (!file) unhealthy('EDGEBENCH_HEALTHCHECK_USER is set but EDGEBENCH_HEALTHCHECK_PASSWORD_FILE is not');
  let password = '';
  try {
    password = readFileSync(file, 'utf8').split('\n')[0] ?? '';
  } catch (err) {
    unhealthy(`cannot read the password file ${file}: ${/** @type {NodeJS.ErrnoException} */ (err).code ?? err}`);
  }
  headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
const req = request(url, { method: 'GET', headers, rejectUnauthorized: false, timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) process.exit(0);
  const hint =
    status === 401 ? (user ? ` (wrong password for ${user}?)` : ' (the web config has users: set EDGEBENCH_HEALTHCHECK_USER)') : '';
  unhealthy(`${url.origin}${url.pathname} answered ${status}${hint}`);
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
req.on('error', (err) => {
  const code = /** @type {NodeJS.ErrnoException} */ (err).code ?? '';
  const hint = url.protocol === 'http:' && /ECONNRESET|HPE_/.test(code) ? ' (does the web config have TLS? use https://)' : '';
  unhealthy(`${url.origin}${url.pathname}: ${err.message}${hint}`);
});
req.end();
