// One SSH connection per DUT (ssh2), exec channels per command, keepalive, reconnect
// with exponential backoff, the host key checked against the pin, and timeouts enforced here:
// on timeout or cancel the remote process tree is killed, not just the channel closed. A kill that
// cannot be delivered (link down, connection lost) is remembered and delivered as soon as the DUT
// answers again: on the surviving connection, or first thing after reconnecting.

import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { type FailureReason, JobError } from './errors.js';
import { withHandshakeSlot } from './handshake-slots.js';
import { fingerprint, type HostKeyPin } from './host-key.js';
import { CappedOutput, DEFAULT_MAX_OUTPUT_BYTES } from './output-cap.js';
import { killScript, markedCommand, newJobId } from './remote-process.js';

export interface SshTarget {
  dut: string;
  host: string;
  port: number;
  user: string;
  privateKey?: Buffer;
  passphrase?: string;
  password?: string;
  hostKey: HostKeyPin;
  connectTimeoutMs: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The stdin of a command that talks with the test machine. Writes after the command ended are dropped. */
export interface ExecStdin {
  write(text: string): void;
}

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once the channel is open, with the command's stdin; without it, stdin stays open and unused. */
  onOpen?(stdin: ExecStdin): void;
  /** Each piece of stdout as it arrives (latin1: pieces may split a character); the result still has all of it. */
  onStdout?(chunk: string): void;
  /**
   * Bytes the command may print on stdout, and again on stderr (default DEFAULT_MAX_OUTPUT_BYTES):
   * past it the command fails with `output_too_large` at once and its processes are killed.
   */
  maxOutputBytes?: number;
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
const KEEPALIVE_INTERVAL_MS = 10_000;
const KEEPALIVE_COUNT_MAX = 3;
/**
 * How long one delivery of kills may take. ssh2 ends a connection whose keepalives go unanswered
 * after (count + 1) x interval, so on a dead link the delivery ends with the connection.
 */
const DELIVERY_TIMEOUT_MS = (KEEPALIVE_COUNT_MAX + 2) * KEEPALIVE_INTERVAL_MS;
/** Markers per kill script: dropbear drops the connection on a command over 9000 bytes. */
const KILL_BATCH = 100;
/** Undelivered markers kept at most (a DUT away for days): the oldest are forgotten first. */
const MAX_UNDELIVERED = 1_000;
/** How long a closed connection waits for the DUT to close its side before letting go of the socket. */
const CLOSE_GRACE_MS = 2_000;
/**
 * The TCP socket under each client. ssh2's destroy() does nothing once end() has run (it only
 * destroys a writable socket), and after a refused host key ssh2 itself only half-closes: a peer
 * that never closes its side (hung, or a middlebox that lost the connection) would keep the socket
 * and its descriptor forever, one more each round. Handing ssh2 our own socket lets us destroy it.
 */
const SOCKETS = new WeakMap<Client, Socket>();
/** Failures after which the command's processes may still run on the DUT. */
const KILLED_ON = new Set<FailureReason>(['timeout', 'cancelled', 'connection', 'output_too_large']);

export interface SshConnectionOptions {
  /**
   * How long a timed-out or cancelled command waits for the kill of its remote processes; a kill
   * not delivered by then is remembered and goes on in the background. Default 10 s.
   */
  killWaitMs?: number;
}

export class SshConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private backoffMs = 0;
  private nextAttemptAt = 0;
  private lastError = '';
  /** Job markers whose kill has not reached the DUT yet, oldest first. */
  private readonly undelivered = new Set<string>();
  /** Those of them whose caller gave up waiting: their delivery is logged when it happens. */
  private readonly overdue = new Set<string>();
  /** The delivery under way, if any: one at a time. */
  private delivering: Promise<void> | undefined;
  /** Ends a delivery under way when the connection is closed on purpose. */
  private deliveryAbort = new AbortController();
  private readonly killWaitMs: number;

  constructor(
    private readonly target: SshTarget,
    private readonly log: Logger,
    options: SshConnectionOptions = {},
  ) {
    this.killWaitMs = options.killWaitMs ?? 10_000;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Job markers whose processes may still run on the DUT: their kill is not delivered yet. */
  get undeliveredKills(): readonly string[] {
    return [...this.undelivered];
  }

  /**
   * Runs a shell command on the DUT. Resolves with its exit status; rejects with a JobError. On
   * timeout, cancel or a connection lost, every process the command started is killed, now or as
   * soon as the DUT answers again. Kills still undelivered go first (bounded wait): a server left
   * behind would hold the port the next one needs.
   */
  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.signal?.aborted) throw new JobError('cancelled', 'cancelled before start');
    let client = await this.connect();
    if (this.undelivered.size > 0) {
      await this.deliverKills(Math.min(this.killWaitMs, opts.timeoutMs), opts.signal);
      if (opts.signal?.aborted) throw new JobError('cancelled', 'cancelled before start');
      client = await this.connect();
    }
    const jobId = newJobId();
    try {
      return await this.run(client, markedCommand(jobId, command), opts);
    } catch (err) {
      if (err instanceof JobError && KILLED_ON.has(err.reason)) {
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
    // the connect timeout runs from the slot, not from the queue
    this.connecting = withHandshakeSlot(() => this.open()).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Closes the connection. Kills not delivered yet are kept (a later connect delivers them) and
   * logged: their processes may still run on the DUT.
   */
  close(): void {
    const client = this.client;
    this.client = undefined;
    this.deliveryAbort.abort();
    this.deliveryAbort = new AbortController();
    if (this.undelivered.size > 0) {
      this.log.warn(
        { dut: this.target.dut, jobIds: this.undeliveredKills },
        'closing with kills not delivered: processes of these jobs may still run on the DUT',
      );
    }
    if (!client) return;
    client.end();
    // end() waits for the DUT to close its side, which never comes over a dead link or from a hung peer
    const sock = SOCKETS.get(client);
    if (!sock) return;
    const timer = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS).unref();
    sock.once('close', () => clearTimeout(timer));
  }

  private open(): Promise<Client> {
    const { target } = this;
    let seen: string | undefined;
    let settled = false;
    return new Promise((resolve, reject) => {
      const client = new Client();
      const sock = new Socket();
      SOCKETS.set(client, sock);
      const fail = (message: string) => {
        settled = true;
        this.lastError = message;
        this.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.backoffMs * 2));
        this.nextAttemptAt = Date.now() + this.backoffMs;
        client.end();
        // a failed handshake is over: nothing to wait for from the peer (see SOCKETS)
        sock.destroy();
        reject(new JobError('connection', message));
      };
      client.once('ready', () => {
        settled = true;
        this.backoffMs = 0;
        this.nextAttemptAt = 0;
        this.client = client;
        // Nagle off: a command is a few small packets each way (channel open, exec, exit status,
        // close), and with Nagle each waits for the DUT's delayed ACK (bench/overhead.ts: a job 52 -> 10 ms)
        client.setNoDelay(true);
        this.log.info({ dut: target.dut, host: target.host, hostKey: seen }, 'connected');
        if (target.hostKey.insecure) {
          this.log.warn(
            { dut: target.dut, hostKey: seen },
            'HOST KEY NOT VERIFIED (host_key.insecure_skip_verify): anyone on the path can impersonate this DUT',
          );
        }
        client.once('close', () => {
          if (this.client !== client) return; // closed on purpose
          this.client = undefined;
          this.log.warn({ dut: target.dut, undeliveredKills: this.undelivered.size }, 'connection lost');
        });
        // processes of jobs whose kill could not reach the DUT: first thing on the new connection
        if (this.undelivered.size > 0) void this.deliverKills(0);
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
      // connecting first, then handing the socket to ssh2: its readyTimeout (connect_timeout) starts
      // at once and still covers the TCP connect, the banner, the key exchange and authentication
      sock.connect(target.port, target.host);
      client.connect({
        sock,
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        passphrase: target.passphrase,
        password: target.password,
        readyTimeout: target.connectTimeoutMs,
        keepaliveInterval: KEEPALIVE_INTERVAL_MS,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        algorithms: DROPBEAR_COMPAT,
        hostVerifier: (key: Buffer) => {
          seen = fingerprint(key);
          return target.hostKey.insecure === true || target.hostKey.accepted.includes(seen);
        },
      });
    });
  }

  private run(client: Client, command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      const stdout = new CappedOutput(maxBytes);
      const stderr = new CappedOutput(maxBytes);
      let exitCode: number | undefined;
      const finish = (err?: JobError, closeChannel = true) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        client.removeListener('close', onClose);
        if (err) {
          if (closeChannel) channel?.close();
          reject(err);
        } else {
          resolve({ stdout: stdout.text(), stderr: stderr.text(), exitCode: exitCode ?? 255 });
        }
      };
      const timer = setTimeout(
        () => finish(new JobError('timeout', `timed out after ${opts.timeoutMs / 1000}s`, stdout.text())),
        opts.timeoutMs,
      );
      const onAbort = () => finish(new JobError('cancelled', 'cancelled'));
      const onClose = () =>
        finish(new JobError('connection', `connection to ${this.target.host}:${this.target.port} lost during the command`));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('close', onClose);
      client.exec(command, (err, ch) => {
        if (err) return finish(new JobError('connection', `cannot open a channel: ${err.message}`));
        channel = ch;
        if (settled) return void ch.close();
        // Past its cap a stream ends the command: its processes are killed (exec) and the DUT closes
        // the channel. Not closed from here: ssh2 still adjusts the window of a channel it has closed
        // while data flows in, and dropbear ends the whole connection on a message for a channel it
        // no longer knows (seen in the lab: "connection lost" after each flood).
        const tooLarge = (name: string, out: CappedOutput) =>
          finish(
            new JobError(
              'output_too_large',
              `printed more than ${maxBytes} bytes on ${name} (max_output_bytes): the command was stopped`,
              out.text(),
            ),
            false,
          );
        ch.on('data', (d: Buffer) => {
          if (settled) return; // the channel is closing: nothing more is kept
          if (!stdout.push(d)) return tooLarge('stdout', stdout);
          opts.onStdout?.(d.toString('latin1'));
        });
        ch.stderr.on('data', (d: Buffer) => {
          if (!settled && !stderr.push(d)) tooLarge('stderr', stderr);
        });
        ch.on('exit', (code: number | null) => {
          exitCode = code ?? 255;
        });
        ch.on('close', () => finish());
        opts.onOpen?.({
          write: (text) => {
            if (!settled && ch.writable) ch.write(text);
          },
        });
      });
    });
  }

  /**
   * Kills every process of the job on the DUT, over a fresh channel, waiting at most killWaitMs.
   * A kill not delivered by then is remembered, and goes on: on this connection as soon as the DUT
   * answers again, or first thing after a reconnect. Never throws.
   */
  private async kill(jobId: string): Promise<void> {
    this.undelivered.add(jobId);
    for (const old of this.undelivered) {
      if (this.undelivered.size <= MAX_UNDELIVERED) break;
      this.undelivered.delete(old);
      this.overdue.delete(old);
      this.log.warn({ dut: this.target.dut, jobId: old }, 'too many kills not delivered: forgetting the oldest');
    }
    if (!(await this.deliverKills(this.killWaitMs)) && this.undelivered.has(jobId)) {
      this.overdue.add(jobId);
      this.log.warn(
        { dut: this.target.dut, jobId, connected: this.connected },
        'remote processes of the job could not be killed yet: the kill will be delivered as soon as the DUT answers',
      );
    }
  }

  /**
   * Starts delivering the remembered kills unless a delivery is under way, and waits for it at most
   * waitMs (or until the signal aborts). True when every marker remembered at the call was killed.
   */
  private async deliverKills(waitMs: number, signal?: AbortSignal): Promise<boolean> {
    const wanted = [...this.undelivered];
    if (wanted.length === 0) return true;
    this.delivering ??= this.deliveryLoop().finally(() => {
      this.delivering = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      this.delivering,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    return wanted.every((id) => !this.undelivered.has(id));
  }

  /** Kill scripts for the remembered markers, batch after batch, while connected. */
  private async deliveryLoop(): Promise<void> {
    const { signal } = this.deliveryAbort;
    // the servers of a job are stopped together: one script for all of them
    await new Promise((resolve) => setImmediate(resolve));
    while (this.undelivered.size > 0 && !signal.aborted) {
      const client = this.client;
      if (!client) return; // the next connection delivers them
      const batch = [...this.undelivered].slice(0, KILL_BATCH) as [string, ...string[]];
      const started = performance.now();
      try {
        const res = await this.run(client, killScript(...batch), { timeoutMs: DELIVERY_TIMEOUT_MS, signal });
        const overdue = batch.filter((id) => this.overdue.has(id));
        for (const id of batch) {
          this.undelivered.delete(id);
          this.overdue.delete(id);
        }
        const fields = {
          dut: this.target.dut,
          jobIds: batch,
          killed: Number(res.stdout.trim()),
          ms: Math.round(performance.now() - started),
        };
        // a kill that had to wait for the DUT is news; a routine one (every server a job stops) is not
        if (overdue.length > 0) this.log.info(fields, 'delivered kills that were waiting for the DUT');
        else this.log.debug(fields, 'killed remote processes');
      } catch (err) {
        // connection lost: delivered after the reconnect; timed out: on the next exec or kill
        this.log.debug({ dut: this.target.dut, jobIds: batch, err: (err as Error).message }, 'kill not delivered');
        return;
      }
    }
  }
}
