// SSH "servers" that never let a handshake finish, for the hostile-SSH tests: one that accepts TCP
// and says nothing, one that sends a banner line a byte a second forever, and a proxy in front of a
// real dropbear that forwards the banners and both KEXINITs, then stops forwarding in the middle of
// the key exchange; and a proxy that forwards all but the end of a connection, for a peer that never
// closes its side. Each records its connections (when accepted, when the client let go, what went
// through), so a test can tell how long a client held on. None of them ever closes a connection or
// answers a FIN: a client that only half-closes keeps its socket, which heldSockets() then finds.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface HostileConnection {
  acceptedAt: number;
  /** When the client let go: its FIN or its reset, whichever came first (undefined while it holds on). */
  releasedAt?: number;
  /** Bytes the listener sent to the client. */
  sent: number;
  /** Bytes the client sent. */
  received: number;
  /** Kex stall only: when the proxy stopped forwarding, and the SSH message number it held back. */
  stalledAt?: number;
  stalledOn?: number;
}

export interface HostileListener {
  readonly host: string;
  readonly port: number;
  readonly connections: readonly HostileConnection[];
  /** Connections the client has not let go yet. */
  readonly open: number;
  /** Closes the listener's side of every connection (it keeps listening). */
  hangUp(): void;
  close(): Promise<void>;
}

type Handler = (socket: Socket, conn: HostileConnection, cleanup: (f: () => void) => void) => void;

async function listen(host: string, handler: Handler): Promise<HostileListener> {
  const connections: HostileConnection[] = [];
  const sockets = new Set<Socket>();
  // allowHalfOpen: the client's FIN is not answered, as a hung server would not answer it
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const conn: HostileConnection = { acceptedAt: Date.now(), sent: 0, received: 0 };
    connections.push(conn);
    sockets.add(socket);
    const cleanups: (() => void)[] = [];
    const released = () => {
      if (conn.releasedAt !== undefined) return;
      conn.releasedAt = Date.now();
      for (const f of cleanups) f();
    };
    socket.on('data', (d: Buffer) => {
      conn.received += d.length;
    });
    socket.once('end', released);
    socket.on('error', released);
    socket.once('close', () => {
      released();
      sockets.delete(socket);
    });
    handler(socket, conn, (f) => cleanups.push(f));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the listener has no address');
  return {
    host,
    port: address.port,
    connections,
    get open() {
      return connections.filter((c) => c.releasedAt === undefined).length;
    },
    hangUp: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP and never sends a byte: no banner, no close. */
export function noBannerListener(host: string): Promise<HostileListener> {
  return listen(host, () => {});
}

/** Sends an SSH banner line one byte a second, forever, never its end of line. */
export function trickleListener(host: string): Promise<HostileListener> {
  const banner = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 trickling ';
  return listen(host, (socket, conn, cleanup) => {
    const send = () => {
      if (conn.releasedAt !== undefined || !socket.writable) return;
      socket.write(banner[conn.sent % banner.length] as string);
      conn.sent += 1;
    };
    send();
    const timer = setInterval(send, 1_000);
    cleanup(() => clearInterval(timer));
  });
}

/** SSH transport message numbers the kex proxy lets through from the client: its KEXINIT only. */
const KEXINIT = 20;

/**
 * A TCP proxy to a real SSH server that forwards both banners and both KEXINITs, then holds back the
 * client's next packet (its key-exchange init, message 30) and everything after, in both directions,
 * without closing anything: a key exchange stalled half-way. The server's connection is closed once
 * the client lets go of its own.
 */
export function kexStallProxy(host: string, upstreamHost: string, upstreamPort: number): Promise<HostileListener> {
  return listen(host, (client, conn, cleanup) => {
    const upstream = connect(upstreamPort, upstreamHost);
    upstream.on('error', () => client.destroy());
    cleanup(() => upstream.destroy());
    upstream.on('data', (d: Buffer) => {
      if (conn.stalledAt !== undefined) return;
      conn.sent += d.length;
      client.write(d);
    });
    // before the stall the server's close is the client's; after it, the client is left waiting
    upstream.once('close', () => {
      if (conn.stalledAt === undefined) client.destroy();
    });
    let pending = Buffer.alloc(0);
    let bannerDone = false;
    client.on('data', (d: Buffer) => {
      if (conn.stalledAt !== undefined) return;
      pending = Buffer.concat([pending, d]);
      if (!bannerDone) {
        const nl = pending.indexOf(10);
        if (nl < 0) return;
        upstream.write(pending.subarray(0, nl + 1));
        pending = pending.subarray(nl + 1);
        bannerDone = true;
      }
      // unencrypted binary packets: uint32 length, byte padding length, then the message number
      while (pending.length >= 6) {
        const length = pending.readUInt32BE(0);
        const message = pending[5] as number;
        if (message !== KEXINIT) {
          conn.stalledAt = Date.now();
          conn.stalledOn = message;
          return;
        }
        if (pending.length < 4 + length) return;
        upstream.write(pending.subarray(0, 4 + length));
        pending = pending.subarray(4 + length);
      }
    });
  });
}

/**
 * A TCP proxy to a real SSH server that forwards everything but the end: when either side closes,
 * the client's connection is left open and unanswered, as a peer that hung or a middlebox that lost
 * the connection's state would leave it. The server's connection is closed once the client lets go.
 */
export function holdOpenProxy(host: string, upstreamHost: string, upstreamPort: number): Promise<HostileListener> {
  return listen(host, (client, conn, cleanup) => {
    const upstream = connect(upstreamPort, upstreamHost);
    upstream.on('error', () => {});
    cleanup(() => upstream.destroy());
    upstream.on('data', (d: Buffer) => {
      conn.sent += d.length;
      if (client.writable) client.write(d);
    });
    client.on('data', (d: Buffer) => {
      if (upstream.writable) upstream.write(d);
    });
  });
}

export interface HeldSocket {
  /** The TCP state, as /proc/net/tcp numbers it: 01 ESTABLISHED, 02 SYN_SENT, 08 CLOSE_WAIT, … */
  state: string;
  remote: string;
}

/**
 * The TCP sockets process `pid` holds open (file descriptors, not sockets the kernel still winds
 * down after a close) whose remote port is `port`, from /proc/PID/fd and the process's
 * /proc/PID/net/tcp{,6}.
 */
export function heldSockets(pid: number | 'self', port: number): HeldSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed while we looked
    }
  }
  const held: HeldSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const remote = f[2];
      if (!remote || !inodes.has(f[9] as string)) continue;
      if (Number.parseInt(remote.split(':')[1] as string, 16) === port) held.push({ state: f[3] as string, remote });
    }
  }
  return held;
}
