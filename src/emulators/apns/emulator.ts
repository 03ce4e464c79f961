import { randomUUID } from 'node:crypto';
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { FaultQueue, sleep } from '../shared/push-faults.js';
import { PushRecorder } from '../shared/push-recorder.js';
import { pushTlsMaterial } from '../shared/push-tls.js';
import { ProviderTokenVerifier } from './provider-tokens.js';
import {
  checkDeviceToken,
  deviceTokenFromPath,
  hasDuplicateHeaders,
  isRejection,
  parseApnsHeaders,
  parsePayload,
  type ApnsRejection,
} from './request-checks.js';
import type { ApnsEmulator, ApnsEmulatorOptions, ApnsFault, ApnsReceived } from './types.js';

interface SessionState {
  lastStreamId: number;
  /** Set once a GOAWAY went out: streams above it are refused, never processed. */
  goawayLastStreamId?: number;
  authenticated: boolean;
  teamId?: string;
  keyId?: string;
  jwt?: string;
  jwtIat?: number;
  jwtSince?: number;
}

const HOUR_MS = 3600_000;

export async function startApnsEmulator(opts: ApnsEmulatorOptions = {}): Promise<ApnsEmulator> {
  const tls = opts.tls ?? (await pushTlsMaterial());
  const now = opts.now ?? Date.now;
  const maxStreams = opts.maxConcurrentStreams ?? 1000;
  const updateInterval = opts.tokenUpdateIntervalMs ?? 20 * 60_000;
  const verifier = new ProviderTokenVerifier();
  for (const k of opts.keys ?? []) verifier.add(k);
  const topics = opts.topics ? new Set(opts.topics) : undefined;
  const dead = new Map<string, number>((opts.unregistered ?? []).map((t) => [t.toLowerCase(), now()]));
  const deviceTopics = new Map<string, string>();
  // Tokens a fault declared expired stay expired, as a real expired token would.
  const expiredJwts = new Set<string>();
  const faults = new FaultQueue<ApnsFault>();
  const recorder = new PushRecorder<ApnsReceived>(opts.maxReceived);
  const stats = { requests: 0, accepted: 0, rejected: 0, connections: 0 };
  const sessions = new Map<ServerHttp2Session, SessionState>();
  let latencyMs = opts.latencyMs ?? 0;

  const server = http2.createSecureServer({
    key: tls.key,
    cert: tls.cert,
    allowHTTP1: false,
    settings: { maxConcurrentStreams: opts.oneStreamUntilAuthenticated ? 1 : maxStreams },
  });

  server.on('session', (session) => {
    stats.connections++;
    sessions.set(session, { lastStreamId: 0, authenticated: false });
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
  });

  // Node passes the raw header list as a fourth argument its typings omit; DuplicateHeaders needs it.
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, ...rest: unknown[]) => {
    const rawHeaders = rest[0] as string[] | undefined;
    stream.on('error', () => undefined);
    const state = sessions.get(stream.session as ServerHttp2Session);
    if (state && (stream.id ?? 0) > state.lastStreamId) state.lastStreamId = stream.id ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit only the size matters.
      if (size <= 4097) chunks.push(chunk);
    });
    stream.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      handle(stream, headers, rawHeaders, body, size, state).catch(() => stream.destroy());
    });
  });

  async function handle(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: string[] | undefined,
    body: Buffer,
    size: number,
    state: SessionState | undefined,
  ): Promise<void> {
    stats.requests++;
    const sentId = first(headers['apns-id']);
    const apnsId = sentId && /^[0-9a-f-]{36}$/i.test(sentId) ? sentId : randomUUID();
    const token = deviceTokenFromPath(first(headers[':path']));
    const fault = faults.take(token?.toLowerCase() ?? '');
    const delay = latencyMs + (fault?.delayMs ?? 0);
    if (fault?.hang) return;
    if (delay > 0) await sleep(delay);
    const session = stream.session as ServerHttp2Session | undefined;
    if (state?.goawayLastStreamId !== undefined && (stream.id ?? 0) > state.goawayLastStreamId) {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (fault?.goaway !== undefined && session && state && !session.closed) sendGoaway(session, state, stream.id ?? 0, fault.goaway);
    try {
      if (fault?.status) {
        if (fault.reason === 'ExpiredProviderToken') {
          const jwt = bearer(headers.authorization);
          if (jwt) expiredJwts.add(jwt);
        }
        reject(stream, apnsId, { status: fault.status, reason: fault.reason ?? 'InternalServerError' }, fault);
        return;
      }
      const outcome = validate(headers, rawHeaders, token, body, size, state, session);
      if ('status' in outcome) {
        reject(stream, apnsId, outcome);
        return;
      }
      stats.accepted++;
      respond(stream, 200, apnsId);
      recorder.record({ ...outcome, apnsId, receivedAt: now() });
    } finally {
      if (fault?.goaway !== undefined && session && !session.closed) session.close();
    }
  }

  function validate(
    headers: IncomingHttpHeaders,
    rawHeaders: string[] | undefined,
    token: string | undefined,
    body: Buffer,
    size: number,
    state: SessionState | undefined,
    session: ServerHttp2Session | undefined,
  ): ApnsRejection | Omit<ApnsReceived, 'apnsId' | 'receivedAt'> {
    if (headers[':method'] !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
    if (token === undefined) return { status: 404, reason: 'BadPath' };
    if (hasDuplicateHeaders(rawHeaders)) return { status: 400, reason: 'DuplicateHeaders' };

    const auth = verifier.check(first(headers.authorization));
    if (!auth.ok) return { status: 403, reason: auth.reason };
    const jwt = bearer(headers.authorization) as string;
    const { teamId, keyId, iat } = auth.token;
    const t = now();
    if (expiredJwts.has(jwt) || t - iat * 1000 > HOUR_MS) return { status: 403, reason: 'ExpiredProviderToken' };
    // A token from the future is a signing bug (or a skewed clock) APNs refuses.
    if (iat * 1000 - t > 5 * 60_000) return { status: 403, reason: 'InvalidProviderToken' };
    if (state) {
      const tokenCheck = checkSessionToken(state, jwt, teamId, keyId, iat, t);
      if (tokenCheck) return tokenCheck;
      if (!state.authenticated) {
        state.authenticated = true;
        if (opts.oneStreamUntilAuthenticated && session && !session.closed) session.settings({ maxConcurrentStreams: maxStreams });
      }
    }

    const parsed = parseApnsHeaders(headers);
    if (isRejection(parsed)) return parsed;
    if ((topics && !topics.has(parsed.topic)) || !verifier.topicAllowed(teamId, keyId, parsed.topic)) {
      return { status: 400, reason: 'TopicDisallowed' };
    }
    const badToken = checkDeviceToken(token);
    if (badToken) return badToken;
    const lower = token.toLowerCase();
    const boundTopic = deviceTopics.get(lower);
    if (boundTopic !== undefined && boundTopic !== parsed.topic) return { status: 400, reason: 'DeviceTokenNotForTopic' };

    const payload = parsePayload(body, size);
    if ('status' in payload) return payload;
    const unregisteredAt = dead.get(lower);
    if (unregisteredAt !== undefined) return { status: 410, reason: 'Unregistered', timestamp: unregisteredAt };
    const { topic, pushType, priority, expiration, collapseId } = parsed;
    return { token: lower, topic, pushType, priority, expiration, collapseId, teamId, keyId, payload: payload.payload };
  }

  /** One team and key per connection, and no token churn: both are APNs rules a client can break. */
  function checkSessionToken(s: SessionState, jwt: string, teamId: string, keyId: string, iat: number, t: number): ApnsRejection | undefined {
    if (s.keyId !== undefined && (s.keyId !== keyId || s.teamId !== teamId)) return { status: 403, reason: 'UnrelatedKeyIdInToken' };
    if (s.jwt === jwt) return undefined;
    const previousStillValid = s.jwt !== undefined && !expiredJwts.has(s.jwt) && t - (s.jwtIat ?? 0) * 1000 <= HOUR_MS;
    if (updateInterval > 0 && previousStillValid && t - (s.jwtSince ?? 0) < updateInterval) {
      return { status: 429, reason: 'TooManyProviderTokenUpdates' };
    }
    Object.assign(s, { jwt, jwtIat: iat, jwtSince: t, teamId, keyId });
    return undefined;
  }

  function reject(stream: ServerHttp2Stream, apnsId: string, r: ApnsRejection, fault?: ApnsFault): void {
    stats.rejected++;
    const body: Record<string, unknown> = { reason: r.reason };
    const timestamp = fault?.timestamp ?? r.timestamp ?? (r.status === 410 ? now() : undefined);
    if (r.status === 410) body.timestamp = timestamp;
    const extra: Record<string, string> = {};
    if (fault?.retryAfterSec !== undefined) extra['retry-after'] = String(fault.retryAfterSec);
    respond(stream, r.status, apnsId, JSON.stringify(body), extra);
  }

  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    // exclusive: under node:cluster a shared port would hand connections to another process's emulator.
    server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', exclusive: true }, () => {
      server.off('error', rejectListen);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `https://${host}:${address.port}`,
    ca: tls.cert,
    received: recorder.received,
    stats,
    on: (event, listener) => recorder.on(event, listener),
    off: (event, listener) => recorder.off(event, listener),
    inject: (fault) => faults.add(fault.target ? { ...fault, target: fault.target.toLowerCase() } : fault),
    clearFaults: () => faults.clear(),
    addKey: (key) => verifier.add(key),
    createProviderKey: (o) => verifier.create(o),
    unregister: (token, timestamp) => void dead.set(token.toLowerCase(), timestamp ?? now()),
    registerDevice: (token, topic) => void deviceTopics.set(token.toLowerCase(), topic),
    goaway(reason = 'Shutdown') {
      for (const [session, state] of sessions) {
        if (session.closed || session.destroyed) continue;
        sendGoaway(session, state, state.lastStreamId, reason);
        session.close();
      }
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close() {
      for (const session of sessions.keys()) session.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** APNs's GOAWAY carries a JSON reason; streams above `lastStreamId` are refused so clients may resend them. */
function sendGoaway(session: ServerHttp2Session, state: SessionState, lastStreamId: number, reason: string): void {
  state.goawayLastStreamId = lastStreamId;
  session.goaway(http2.constants.NGHTTP2_NO_ERROR, lastStreamId, Buffer.from(JSON.stringify({ reason })));
}

function respond(stream: ServerHttp2Stream, status: number, apnsId: string, body?: string, extra: Record<string, string> = {}): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  if (body === undefined) {
    stream.respond({ ':status': status, 'apns-id': apnsId, ...extra }, { endStream: true });
    return;
  }
  stream.respond({ ':status': status, 'apns-id': apnsId, 'content-type': 'application/json; charset=utf-8', ...extra });
  stream.end(body);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function bearer(authorization: string | string[] | undefined): string | undefined {
  const m = /^bearer\s+(\S+)$/i.exec(first(authorization) ?? '');
  return m?.[1];
}
