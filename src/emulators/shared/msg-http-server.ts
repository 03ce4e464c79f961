import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { sleep } from './push-faults.js';

/**
 * The HTTP(S)/1.1 server under the messaging emulators (Twilio, Vonage, SendGrid). It counts TCP
 * connections so tests can prove an adapter reuses keep-alive sockets, and applies the optional
 * latency before the handler answers, as a slow provider would.
 */
export interface MsgServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Serve HTTPS with this certificate (clients pass `cert` as their `ca`). */
  tls?: { key: string; cert: string };
  /** Added before every answer; a function picks it per request (a provider that is slow now and then, or hangs). */
  latencyMs?: number | ((req: http.IncomingMessage, body: Buffer | undefined) => number);
  /** Called as each answer has been written (tests count what is in flight at an instant). */
  onAnswered?: (req: http.IncomingMessage) => void;
  /** Largest body read; a bigger one is answered 413 by `readBody` callers. Default 32 MiB. */
  maxBodyBytes?: number;
}

export interface MsgServerStats {
  /** TCP connections accepted since start. */
  connections: number;
  /** Connections open right now. */
  openConnections: number;
  /** Highest `openConnections` seen. */
  maxOpenConnections: number;
  /** HTTP requests received. */
  requests: number;
}

export interface MsgRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The whole body, or undefined when it was larger than `maxBodyBytes`. */
  body: Buffer | undefined;
}

export interface MsgHttpServer {
  /** scheme://host:port — what adapters take as `endpoint`. */
  readonly url: string;
  readonly stats: MsgServerStats;
  close(): Promise<void>;
}

export async function startMsgHttpServer(
  opts: MsgServerOptions,
  handle: (r: MsgRequest) => Promise<void> | void,
): Promise<MsgHttpServer> {
  const stats: MsgServerStats = { connections: 0, openConnections: 0, maxOpenConnections: 0, requests: 0 };
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    stats.requests += 1;
    if (opts.onAnswered) res.once('finish', () => opts.onAnswered!(req));
    void readBody(req, maxBody)
      .then(async (body) => {
        const latency = typeof opts.latencyMs === 'function' ? opts.latencyMs(req, body) : opts.latencyMs;
        if (latency) await sleep(latency);
        await handle({ req, res, body });
      })
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      });
  };

  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest)
    : http.createServer(onRequest);
  // Providers sit behind load balancers that keep idle connections for about a minute; Node's
  // default of 5 s would make keep-alive reuse look worse than it is against the real thing.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    stats.connections += 1;
    stats.openConnections += 1;
    stats.maxOpenConnections = Math.max(stats.maxOpenConnections, stats.openConnections);
    socket.once('close', () => {
      stats.openConnections -= 1;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: under node:cluster a shared port would hand connections to another process's emulator.
    server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`;

  return {
    url,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooBig = true;
      // Keep draining so the connection stays usable for the 413 answer.
      if (!tooBig) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** Form or JSON body into flat string fields (the first value of a repeated form field wins). */
export function parseFields(req: http.IncomingMessage, body: Buffer): Record<string, string> | undefined {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) if (v !== null && v !== undefined) out[k] = String(v);
    return out;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (!(k in out)) out[k] = v;
  return out;
}

/** `Authorization: Basic` into its two halves. */
export function basicAuth(req: http.IncomingMessage): { user: string; pass: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

/** Credential comparison that does not leak through timing how much of a guess was right. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
