// One persistent SSH connection per DUT (ssh2), exec channels per command, keepalive, reconnect
// with exponential backoff, the host key checked against the pin, and timeouts enforced here:
// on timeout or cancel the remote process tree is killed, not just the channel closed.

import type { Logger } from 'pino';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { JobError } from './errors.js';
import { fingerprint, type HostKeyPin } from './host-key.js';
import { killScript, markedCommand, newJobId } from './remote-process.js';

export interface SshTarget {
  dut: string;
  host: string;
  port: number;
  user: string;
  privateKey: Buffer;
  passphrase?: string;
  hostKey: HostKeyPin;
  connectTimeoutMs: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Algorithms beyond ssh2's defaults that older dropbear builds (OpenWrt 17-19) still need. */
// (ssh2 accepts a lone `append`; its type definitions ask for all three keys.)
const DROPBEAR_COMPAT = {
  kex: { append: ['diffie-hellman-group14-sha1'] },
  serverHostKey: { append: ['ssh-rsa'] },
  hmac: { append: ['hmac-sha1'] },
} as unknown as ConnectConfig['algorithms'];

const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const KILL_TIMEOUT_MS = 10_000;

export class SshConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private backoffMs = 0;
  private nextAttemptAt = 0;
  private lastError = '';

  constructor(
    private readonly target: SshTarget,
    private readonly log: Logger,
  ) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Runs a shell command on the DUT. Resolves with its exit status; rejects with a JobError. */
  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.signal?.aborted) throw new JobError('cancelled', 'cancelled before start');
    const client = await this.connect();
    const jobId = newJobId();
    try {
      return await this.run(client, markedCommand(jobId, command), opts);
    } catch (err) {
      if (err instanceof JobError && (err.reason === 'timeout' || err.reason === 'cancelled')) {
        await this.kill(jobId);
      }
      throw err;
    }
  }

  /** Connects now unless connected; during backoff, fails fast with the last error. */
  async connect(): Promise<Client> {
    if (this.client) return this.client;
    if (this.connecting) return this.connecting;
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) {
      throw new JobError('connection', `${this.lastError}; next attempt in ${Math.ceil(wait / 1000)}s`);
    }
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    client?.end();
  }

  private open(): Promise<Client> {
    const { target } = this;
    let seen: string | undefined;
    let settled = false;
    return new Promise((resolve, reject) => {
      const client = new Client();
      const fail = (message: string) => {
        settled = true;
        this.lastError = message;
        this.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.backoffMs * 2));
        this.nextAttemptAt = Date.now() + this.backoffMs;
        client.end();
        reject(new JobError('connection', message));
      };
      client.once('ready', () => {
        settled = true;
        this.backoffMs = 0;
        this.nextAttemptAt = 0;
        this.client = client;
        this.log.info({ dut: target.dut, host: target.host, hostKey: seen }, 'connected');
        client.once('close', () => {
          if (this.client !== client) return; // closed on purpose
          this.client = undefined;
          this.log.warn({ dut: target.dut }, 'connection lost');
        });
        resolve(client);
      });
      // `on`, not `once`: ssh2 may emit a second error (e.g. "Connection lost before handshake" after a
      // timeout), and an 'error' event without a listener would crash the exporter
      client.on('error', (err) => {
        if (this.client === client || settled) return; // established ('close' follows) or already failed
        if (seen && !target.hostKey.accepted.includes(seen)) {
          const expected = target.hostKey.accepted.join(' or ') || `(no key for this host in ${target.hostKey.source})`;
          fail(`host key mismatch for ${target.host}:${target.port}: expected ${expected}, seen ${seen}; refusing to connect`);
        } else {
          fail(`cannot connect to ${target.user}@${target.host}:${target.port}: ${err.message}`);
        }
      });
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        passphrase: target.passphrase,
        readyTimeout: target.connectTimeoutMs,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        algorithms: DROPBEAR_COMPAT,
        hostVerifier: (key: Buffer) => {
          seen = fingerprint(key);
          return target.hostKey.accepted.includes(seen);
        },
      });
    });
  }

  private run(client: Client, command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exitCode: number | undefined;
      const finish = (err?: JobError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        client.removeListener('close', onClose);
        if (err) {
          channel?.close();
          reject(err);
        } else {
          resolve({
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
            exitCode: exitCode ?? 255,
          });
        }
      };
      const timer = setTimeout(
        () => finish(new JobError('timeout', `timed out after ${opts.timeoutMs / 1000}s`, Buffer.concat(stdout).toString())),
        opts.timeoutMs,
      );
      const onAbort = () => finish(new JobError('cancelled', 'cancelled'));
      const onClose = () => finish(new JobError('connection', 'connection lost during the command'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('close', onClose);
      client.exec(command, (err, ch) => {
        if (err) return finish(new JobError('connection', `cannot open a channel: ${err.message}`));
        channel = ch;
        if (settled) return void ch.close();
        ch.on('data', (d: Buffer) => stdout.push(d));
        ch.stderr.on('data', (d: Buffer) => stderr.push(d));
        ch.on('exit', (code: number | null) => {
          exitCode = code ?? 255;
        });
        ch.on('close', () => finish());
      });
    });
  }

  /** Kills every process of the job on the DUT, over a fresh channel. Best effort: logged, never thrown. */
  private async kill(jobId: string): Promise<void> {
    const client = this.client;
    if (!client) {
      this.log.warn({ dut: this.target.dut, jobId }, 'not connected: remote processes of the job could not be killed');
      return;
    }
    try {
      const res = await this.run(client, killScript(jobId), { timeoutMs: KILL_TIMEOUT_MS });
      this.log.debug({ dut: this.target.dut, jobId, killed: Number(res.stdout.trim()) }, 'killed remote processes');
    } catch (err) {
      this.log.warn({ dut: this.target.dut, jobId, err: (err as Error).message }, 'could not kill remote processes');
    }
  }
}
