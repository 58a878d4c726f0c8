/**
 * Where the Kubernetes API emulator's API servers listen. Each emulated cluster has its
 * own HTTPS server, reached through plain TCP listeners that hand it their connections:
 * its own port on 127.0.0.1 and, for virtual clusters, the addresses of the Services and
 * Ingresses that expose it. Pausing a cluster closes its listeners and connections.
 *
 * Ports are taken from a pool of listeners bound ahead of time, so that a cluster's URL
 * is known the moment it is created.
 */
import { createServer as createTlsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export function listen(server: TcpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

function closeQuietly(server: TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Listeners on 127.0.0.1 bound in advance, handed out synchronously. */
export class PortPool {
  private readonly ready: Array<{ server: TcpServer; port: number }> = [];
  private filling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly host: string,
    private readonly size = 4,
  ) {}

  fill(): Promise<void> {
    this.filling ??= (async () => {
      while (!this.stopped && this.ready.length < this.size) {
        const server = createTcpServer();
        const port = await listen(server, 0, this.host);
        if (this.stopped) await closeQuietly(server);
        else this.ready.push({ server, port });
      }
    })().finally(() => {
      this.filling = undefined;
    });
    return this.filling;
  }

  /** A bound listener, or undefined when the pool ran dry (it refills in the background). */
  take(): { server: TcpServer; port: number } | undefined {
    const taken = this.ready.shift();
    void this.fill().catch((error: unknown) => console.error('kube-emulator: could not bind a port:', error));
    return taken;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling?.catch(() => undefined);
    await Promise.all(this.ready.splice(0).map(({ server }) => closeQuietly(server)));
  }
}

export interface Certificate {
  keyPem: string;
  certPem: string;
}

/** One emulated cluster's HTTPS server and the TCP listeners that feed it. */
export class ApiServerHost {
  readonly https: HttpsServer;
  private readonly listeners = new Map<string, TcpServer>();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(certificate: Certificate, handler: (req: IncomingMessage, res: ServerResponse) => void, upgrade: (req: IncomingMessage, socket: Duplex) => void) {
    this.https = createTlsServer({ key: certificate.keyPem, cert: certificate.certPem }, handler);
    this.https.on('upgrade', upgrade);
    this.https.keepAliveTimeout = 30_000;
    // A client that goes away mid-handshake must not take the emulator down.
    this.https.on('tlsClientError', (_error, socket) => socket.destroy());
  }

  setCertificate(certificate: Certificate): void {
    this.https.setSecureContext({ key: certificate.keyPem, cert: certificate.certPem });
  }

  /** Serves connections that arrive on `server` (already bound or about to be). */
  adopt(key: string, server: TcpServer): void {
    this.listeners.get(key)?.close();
    this.listeners.set(key, server);
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (error) => console.error(`kube-emulator: listener ${key} failed:`, error));
  }

  /** Binds a listener on `host:port`; resolves the bound port. */
  async listen(key: string, host: string, port: number): Promise<number> {
    const server = createTcpServer();
    const bound = await listen(server, port, host);
    if (this.closed) {
      await closeQuietly(server);
      return bound;
    }
    this.adopt(key, server);
    return bound;
  }

  has(key: string): boolean {
    return this.listeners.has(key);
  }

  keys(): string[] {
    return [...this.listeners.keys()];
  }

  /** Hands a TCP connection (possibly with bytes already read and unshifted) to the HTTPS server. */
  accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.https.emit('connection', socket);
  }

  async closeListener(key: string): Promise<void> {
    const server = this.listeners.get(key);
    if (!server) return;
    this.listeners.delete(key);
    await closeQuietly(server);
  }

  /** Stops answering: every listener and connection is closed. */
  async close(): Promise<void> {
    this.closed = true;
    const servers = [...this.listeners.values()];
    this.listeners.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.https.closeAllConnections();
    await Promise.all(servers.map(closeQuietly));
  }

  /** Answers again after `close()`. */
  reopen(): void {
    this.closed = false;
  }
}

/** The server name a TLS ClientHello asks for, or undefined when `data` is not (yet) a whole ClientHello. */
export function serverNameOf(data: Buffer): { complete: boolean; name?: string } {
  if (data.length < 5) return { complete: false };
  if (data[0] !== 0x16) return { complete: true };
  const recordLength = data.readUInt16BE(3);
  if (data.length < 5 + recordLength) return { complete: false };
  let offset = 5;
  if (data[offset] !== 0x01) return { complete: true };
  offset += 4; // handshake type and length
  offset += 2 + 32; // client version and random
  const sessionIdLength = data[offset] ?? 0;
  offset += 1 + sessionIdLength;
  const cipherSuitesLength = data.readUInt16BE(offset);
  offset += 2 + cipherSuitesLength;
  const compressionLength = data[offset] ?? 0;
  offset += 1 + compressionLength;
  if (offset + 2 > 5 + recordLength) return { complete: true };
  const extensionsEnd = offset + 2 + data.readUInt16BE(offset);
  offset += 2;
  while (offset + 4 <= extensionsEnd) {
    const type = data.readUInt16BE(offset);
    const length = data.readUInt16BE(offset + 2);
    offset += 4;
    if (type === 0x0000) {
      // server_name: list length, then entries of (type, length, name)
      let cursor = offset + 2;
      while (cursor + 3 <= offset + length) {
        const nameType = data[cursor];
        const nameLength = data.readUInt16BE(cursor + 1);
        if (nameType === 0) return { complete: true, name: data.subarray(cursor + 3, cursor + 3 + nameLength).toString('ascii') };
        cursor += 3 + nameLength;
      }
    }
    offset += length;
  }
  return { complete: true };
}

/**
 * Passes TLS connections through by server name, as an ingress controller with SSL
 * passthrough does: the first bytes are read until the ClientHello is complete, then
 * the connection is spliced onto the loopback port `route(name)` picks.
 */
export function sniRouter(route: (serverName: string | undefined) => number | undefined): (socket: Socket) => void {
  return (socket) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const hello = serverNameOf(buffered);
      if (!hello.complete && buffered.length < 16 * 1024) return;
      socket.off('data', onData);
      const port = route(hello.name);
      if (port === undefined) {
        socket.destroy();
        return;
      }
      socket.pause();
      const upstream = connect({ host: '127.0.0.1', port }, () => {
        upstream.write(buffered);
        socket.pipe(upstream);
        upstream.pipe(socket);
        socket.resume();
      });
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  };
}
