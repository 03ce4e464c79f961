import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultQueue, sleep, type FaultBase } from '../shared/push-faults.js';
import { PushRecorder } from '../shared/push-recorder.js';
import { pushTlsMaterial, type PushTlsMaterial } from '../shared/push-tls.js';
import { decryptAes128gcm, DecryptError, type UserAgentKeys } from './aes128gcm.js';
import { VapidVerifier, type VapidClaims } from './vapid.js';

/** What a browser's PushManager.subscribe() hands the page, to be stored by the app server. */
export interface EmulatedSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** A push message the emulator accepted and decrypted. */
export interface WebPushReceived {
  endpoint: string;
  subscriptionId: string;
  ttl: number;
  urgency: string;
  topic?: string;
  /** The decrypted plaintext (undefined for a push without payload). */
  payload?: string;
  /** `payload` parsed as JSON when it is JSON. */
  json?: unknown;
  vapid: VapidClaims;
  /** The Location answered (the push message resource). */
  location: string;
  receivedAt: number;
}

/** What the next matching requests suffer; `target` is a subscription endpoint or id. */
export interface WebPushFault extends FaultBase {
  status?: number;
  body?: string;
  retryAfterSec?: number;
  delayMs?: number;
  hang?: boolean;
}

export interface WebPushEmulatorOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  maxReceived?: number;
  now?: () => number;
  tls?: PushTlsMaterial;
}

export interface WebPushEmulator {
  /** https://host:port (also the VAPID `aud` it expects). */
  readonly url: string;
  readonly ca: string;
  readonly received: WebPushReceived[];
  readonly stats: { requests: number; accepted: number; rejected: number };
  on(event: 'message', listener: (m: WebPushReceived) => void): void;
  off(event: 'message', listener: (m: WebPushReceived) => void): void;
  inject(fault: WebPushFault): void;
  clearFaults(): void;
  /** A new subscription, like PushManager.subscribe(); pass the VAPID public key to restrict it to that sender. */
  createSubscription(opts?: { applicationServerKey?: string }): EmulatedSubscription;
  /** The subscription goes away: further pushes get 410 Gone. */
  expireSubscription(endpointOrId: string): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

interface Subscription extends UserAgentKeys {
  id: string;
  endpoint: string;
  applicationServerKey?: string;
  expired: boolean;
}

type Req = IncomingMessage | http2.Http2ServerRequest;
type Res = ServerResponse | http2.Http2ServerResponse;

export const MAX_BODY_BYTES = 4096;
const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);

/** An RFC 8030 push service over HTTPS (HTTP/2 with HTTP/1.1 fallback), with RFC 8292 VAPID. */
export async function startWebPushEmulator(opts: WebPushEmulatorOptions = {}): Promise<WebPushEmulator> {
  const tls = opts.tls ?? (await pushTlsMaterial());
  const now = opts.now ?? Date.now;
  let origin = '';
  const vapid = new VapidVerifier(() => origin, now);
  const subscriptions = new Map<string, Subscription>();
  const faults = new FaultQueue<WebPushFault>();
  const recorder = new PushRecorder<WebPushReceived>(opts.maxReceived);
  const stats = { requests: 0, accepted: 0, rejected: 0 };
  let latencyMs = opts.latencyMs ?? 0;

  const server = http2.createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, (req: Req, res: Res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      handle(req, Buffer.concat(chunks), size)
        .then((a) => a && reply(res, a))
        .catch(() => reply(res, { status: 500, body: 'emulator failure' }));
    });
    req.on('error', () => undefined);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  interface Answer {
    status: number;
    body?: string;
    headers?: Record<string, string>;
  }

  async function handle(req: Req, body: Buffer, size: number): Promise<Answer | undefined> {
    stats.requests++;
    const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec((req.url ?? '').split('?')[0])?.[1];
    const fault = faults.take(id ?? '');
    if (fault?.hang) return undefined;
    const delay = latencyMs + (fault?.delayMs ?? 0);
    if (delay > 0) await sleep(delay);
    const answer = fault?.status
      ? {
          status: fault.status,
          body: fault.body ?? `injected ${fault.status}`,
          headers: fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : undefined,
        }
      : accept(req.method, req.headers, id, body, size);
    if (answer.status === 201) stats.accepted++;
    else stats.rejected++;
    return answer;
  }

  function accept(method: string | undefined, h: IncomingHttpHeaders, id: string | undefined, body: Buffer, size: number): Answer {
    if (method !== 'POST') return { status: 405, body: 'Method Not Allowed' };
    if (id === undefined) return { status: 404, body: 'Not Found' };
    const sub = subscriptions.get(id);
    if (!sub || sub.expired) return { status: 410, body: 'push subscription has unsubscribed or expired.' };
    const ttlText = first(h.ttl);
    if (ttlText === undefined || !/^\d+$/.test(ttlText)) return { status: 400, body: 'TTL header missing or invalid' };
    const urgency = first(h.urgency) ?? 'normal';
    if (!URGENCIES.has(urgency)) return { status: 400, body: 'Urgency must be very-low, low, normal or high' };
    const topic = first(h.topic);
    if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) return { status: 400, body: 'Topic must be at most 32 base64url characters' };

    const auth = vapid.check(first(h.authorization));
    if (!auth.ok) return { status: auth.status, body: auth.reason };
    if (sub.applicationServerKey && sub.applicationServerKey !== auth.claims.publicKey) {
      return { status: 403, body: 'VAPID key does not match the subscription' };
    }
    if (size > MAX_BODY_BYTES) return { status: 413, body: `payload over ${MAX_BODY_BYTES} bytes` };

    let payload: string | undefined;
    if (size > 0) {
      if (first(h['content-encoding'])?.toLowerCase() !== 'aes128gcm') return { status: 400, body: 'Content-Encoding must be aes128gcm' };
      try {
        payload = decryptAes128gcm(body, sub).toString('utf8');
      } catch (err) {
        // A real push service relays ciphertext blindly; the emulator is also the browser, which would drop it.
        if (err instanceof DecryptError) return { status: 400, body: `cannot decrypt: ${err.message}` };
        throw err;
      }
    }
    const location = `${origin}/message/${randomUUID()}`;
    recorder.record({
      endpoint: sub.endpoint,
      subscriptionId: id,
      ttl: Number(ttlText),
      urgency,
      topic,
      payload,
      json: payload === undefined ? undefined : parseJson(payload),
      vapid: auth.claims,
      location,
      receivedAt: now(),
    });
    return { status: 201, headers: { location, ttl: ttlText } };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: under node:cluster a shared port would hand connections to another process's emulator.
    server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `https://${host}:${address.port}`;

  const idOf = (endpointOrId: string): string => endpointOrId.slice(endpointOrId.lastIndexOf('/') + 1);

  return {
    url: origin,
    ca: tls.cert,
    received: recorder.received,
    stats,
    on: (e, l) => recorder.on(e, l),
    off: (e, l) => recorder.off(e, l),
    inject: (f) => faults.add(f.target ? { ...f, target: idOf(f.target) } : f),
    clearFaults: () => faults.clear(),
    createSubscription(o = {}) {
      const id = randomBytes(24).toString('base64url');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const endpoint = `${origin}/push/${id}`;
      subscriptions.set(id, { id, endpoint, ecdh, auth, applicationServerKey: o.applicationServerKey, expired: false });
      return { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
    },
    expireSubscription(endpointOrId) {
      const sub = subscriptions.get(idOf(endpointOrId));
      if (sub) sub.expired = true;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

function reply(res: Res, a: { status: number; body?: string; headers?: Record<string, string> }): void {
  if (res.writableEnded || res.destroyed) return;
  const body = a.body ?? '';
  (res as ServerResponse).writeHead(a.status, {
    ...(body ? { 'content-type': 'text/plain; charset=utf-8' } : {}),
    'content-length': String(Buffer.byteLength(body)),
    ...a.headers,
  });
  res.end(body);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
