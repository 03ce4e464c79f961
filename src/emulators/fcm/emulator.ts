import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { FaultQueue, sleep, type FaultBase } from '../shared/push-faults.js';
import { PushRecorder } from '../shared/push-recorder.js';
import { pushTlsMaterial, type PushTlsMaterial } from '../shared/push-tls.js';
import { fcmRejection, UNAUTHENTICATED, type FcmRejection } from './errors.js';
import { checkSendBody } from './message-checks.js';
import { CLOUD_SCOPE, MESSAGING_SCOPE, OAuthIssuer, type FcmEmulatorAccount, type FcmServiceAccountJson } from './oauth.js';

/** A message the emulator accepted. */
export interface FcmReceived {
  /** projects/{p}/messages/{id} — what the sender got back. */
  name: string;
  projectId: string;
  token?: string;
  topic?: string;
  condition?: string;
  /** The `message` object as sent. */
  message: Record<string, unknown>;
  clientEmail: string;
  receivedAt: number;
}

/**
 * What the next matching requests suffer. On `send` (default): `status` with an optional FcmError
 * `errorCode` (omit it for a bare google.rpc error such as 401 UNAUTHENTICATED). On `token`:
 * `status` with an OAuth `oauthError` such as invalid_grant. `target` matches a registration token.
 */
export interface FcmFault extends FaultBase {
  on?: 'send' | 'token';
  status?: number;
  errorCode?: string;
  message?: string;
  oauthError?: string;
  retryAfterSec?: number;
  delayMs?: number;
  hang?: boolean;
}

export interface FcmEmulatorOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS (HTTP/2 with HTTP/1.1 fallback) with the push test certificate, or with this one. */
  tls?: boolean | PushTlsMaterial;
  serviceAccounts?: FcmEmulatorAccount[];
  /** Registration tokens answered with 404 UNREGISTERED. */
  unregistered?: string[];
  latencyMs?: number;
  /** Access token lifetime (default 3599 s, like Google). */
  tokenTtlSec?: number;
  maxReceived?: number;
  now?: () => number;
}

export interface FcmEmulator {
  /** scheme://host:port, the adapter's `endpoint`. */
  readonly url: string;
  /** The OAuth token endpoint (`token_uri`). */
  readonly tokenUri: string;
  /** PEM to trust when served over TLS. */
  readonly ca?: string;
  readonly received: FcmReceived[];
  readonly stats: { tokenRequests: number; tokensIssued: number; sendRequests: number; accepted: number; rejected: number };
  on(event: 'message', listener: (m: FcmReceived) => void): void;
  off(event: 'message', listener: (m: FcmReceived) => void): void;
  inject(fault: FcmFault): void;
  clearFaults(): void;
  addServiceAccount(account: FcmEmulatorAccount): void;
  /** Registers a fresh RSA service account and returns its Google JSON (token_uri points here). */
  createServiceAccount(projectId?: string): FcmServiceAccountJson;
  unregister(token: string): void;
  /** Binds a registration token to a project; sends from any other get 403 SENDER_ID_MISMATCH. */
  registerToken(token: string, projectId: string): void;
  /** Forgets every access token issued, so the next send gets 401 UNAUTHENTICATED. */
  revokeAccessTokens(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
const MAX_BODY = 64 * 1024;

export async function startFcmEmulator(opts: FcmEmulatorOptions = {}): Promise<FcmEmulator> {
  const tls = opts.tls === true ? await pushTlsMaterial() : opts.tls || undefined;
  const now = opts.now ?? Date.now;
  let base = '';
  const oauth = new OAuthIssuer(() => `${base}/token`, now, opts.tokenTtlSec ?? 3599);
  for (const a of opts.serviceAccounts ?? []) oauth.add(a);
  const dead = new Set(opts.unregistered ?? []);
  const senders = new Map<string, string>();
  const faults = new FaultQueue<FcmFault>();
  const recorder = new PushRecorder<FcmReceived>(opts.maxReceived);
  const stats = { tokenRequests: 0, tokensIssued: 0, sendRequests: 0, accepted: 0, rejected: 0 };
  let latencyMs = opts.latencyMs ?? 0;

  const handler = (req: Req, res: Res): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      route(req, Buffer.concat(chunks), size)
        .then((answer) => answer && reply(res, answer.status, answer.body, answer.headers))
        .catch(() => reply(res, 500, { error: { code: 500, message: 'emulator failure', status: 'INTERNAL', details: [] } }));
    });
    req.on('error', () => undefined);
  };
  const server = tls
    ? http2.createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, handler)
    : http.createServer({ keepAliveTimeout: 60_000 }, handler);
  // close() must not wait for keep-alive connections or hanging requests.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  interface Answer {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  }

  async function route(req: Req, body: Buffer, size: number): Promise<Answer | undefined> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/token') return token(req, body);
    const m = SEND_PATH.exec(path);
    if (req.method === 'POST' && m) return send(req.headers, decodeURIComponent(m[1]), body, size);
    return { status: 404, body: { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND', details: [] } } };
  }

  async function token(req: Req, body: Buffer): Promise<Answer | undefined> {
    stats.tokenRequests++;
    const fault = faults.take('', (f) => f.on === 'token');
    if (fault?.hang) return undefined;
    await delay(fault);
    if (fault?.status) {
      return {
        status: fault.status,
        body: { error: fault.oauthError ?? 'invalid_grant', error_description: fault.message ?? 'injected failure' },
        headers: retryAfter(fault),
      };
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Bad Request' } };
    }
    const result = oauth.grant(new URLSearchParams(body.toString('utf8')));
    stats.tokensIssued = oauth.issued;
    return { status: result.ok ? 200 : result.status, body: result.body, headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' } };
  }

  async function send(headers: IncomingHttpHeaders, projectId: string, body: Buffer, size: number): Promise<Answer | undefined> {
    stats.sendRequests++;
    const peek = peekToken(body);
    const fault = faults.take(peek ?? '', (f) => (f.on ?? 'send') === 'send');
    if (fault?.hang) return undefined;
    await delay(fault);
    const rejection = fault?.status
      ? { ...fcmRejection(fault.status, fault.message ?? 'injected failure', fault.errorCode), retryAfterSec: fault.retryAfterSec }
      : check(headers, projectId, body, size);
    if ('body' in rejection) {
      stats.rejected++;
      const extra = rejection.retryAfterSec !== undefined ? { 'retry-after': String(rejection.retryAfterSec) } : undefined;
      return { status: rejection.status, body: rejection.body, headers: extra };
    }
    stats.accepted++;
    return { status: 200, body: { name: rejection.name } };
  }

  function check(headers: IncomingHttpHeaders, projectId: string, body: Buffer, size: number): FcmRejection | { name: string } {
    const auth = /^Bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ''));
    const grant = auth ? oauth.lookup(auth[1]) : undefined;
    if (!grant) return UNAUTHENTICATED();
    if (grant.projectId !== projectId) {
      return fcmRejection(403, `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${projectId}' (or it may not exist).`);
    }
    if (!grant.scopes.has(MESSAGING_SCOPE) && !grant.scopes.has(CLOUD_SCOPE)) return fcmRejection(403, 'Request had insufficient authentication scopes.');
    const checked = checkSendBody(body, size);
    if ('body' in checked) return checked;
    if (checked.token !== undefined) {
      if (dead.has(checked.token)) return fcmRejection(404, 'Requested entity was not found.', 'UNREGISTERED');
      const sender = senders.get(checked.token);
      if (sender !== undefined && sender !== projectId) return fcmRejection(403, 'SenderId mismatch', 'SENDER_ID_MISMATCH');
    }
    if (checked.validateOnly) return { name: `projects/${projectId}/messages/fake_message_id` };
    const name = `projects/${projectId}/messages/0:${now()}${randomBytes(3).readUIntBE(0, 3)}%${randomBytes(8).toString('hex')}`;
    const { message, token, topic, condition } = checked;
    recorder.record({ name, projectId, token, topic, condition, message, clientEmail: grant.clientEmail, receivedAt: now() });
    return { name };
  }

  async function delay(fault: FcmFault | undefined): Promise<void> {
    const ms = latencyMs + (fault?.delayMs ?? 0);
    if (ms > 0) await sleep(ms);
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
  base = `${tls ? 'https' : 'http'}://${host}:${address.port}`;

  return {
    url: base,
    tokenUri: `${base}/token`,
    ca: tls?.cert,
    received: recorder.received,
    stats,
    on: (e, l) => recorder.on(e, l),
    off: (e, l) => recorder.off(e, l),
    inject: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    addServiceAccount: (a) => oauth.add(a),
    createServiceAccount: (projectId = 'herald-sandbox') => oauth.create(projectId),
    unregister: (t) => void dead.add(t),
    registerToken: (t, p) => void senders.set(t, p),
    revokeAccessTokens: () => oauth.revokeAll(),
    setLatency(ms) {
      latencyMs = ms;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** The registration token, for faults aimed at one device, without a full parse. */
function peekToken(body: Buffer): string | undefined {
  const m = /"token"\s*:\s*"([^"]+)"/.exec(body.toString('utf8'));
  return m?.[1];
}

function retryAfter(fault: FcmFault): Record<string, string> | undefined {
  return fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : undefined;
}

function reply(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  (res as http.ServerResponse).writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
