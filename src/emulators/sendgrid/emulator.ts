import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FaultQueue, type FaultBase } from '../shared/push-faults.js';
import { PushRecorder } from '../shared/push-recorder.js';
import { pushTlsMaterial } from '../shared/push-tls.js';
import { safeEqual, sendJson, startMsgHttpServer, type MsgRequest, type MsgServerOptions, type MsgServerStats } from '../shared/msg-http-server.js';
import { BoundedMap } from '../shared/msg-bounded-map.js';
import { LaterQueue, type WebhookResult } from '../shared/msg-webhook.js';
import { buildEvent, createEventSigner, type SendgridEventType } from './events.js';
import { validateMailBody, type SendgridErrorItem, type SendgridMailBody } from './validate.js';

/**
 * A local SendGrid v3 `POST /v3/mail/send`: Bearer key check, the API's body validation with its
 * error shape, 202 + X-Message-Id, rate limiting on injection (429 + X-RateLimit-Reset), and a
 * signed Event Webhook for receipts.
 */
export interface SendgridEmulatorOptions {
  host?: string;
  port?: number;
  tls?: boolean;
  latencyMs?: MsgServerOptions['latencyMs'];
  onAnswered?: MsgServerOptions['onAnswered'];
  /** Accepted API keys. Default: one generated (see `apiKey`). */
  apiKeys?: string[];
  /** If set, from.email must be one of these (403 otherwise), like an account with Sender Identity checks. */
  verifiedSenders?: string[];
  /** Default 30 MB, SendGrid's limit; larger bodies get 413. */
  maxBodyBytes?: number;
  /** Post events for each accepted message: processed then delivered (bounce for `bouncedAddresses`). */
  eventWebhook?: { url: string; delayMs?: number };
  bouncedAddresses?: string[];
  onMessage?: (message: SendgridEmulatedMessage) => void;
  maxReceived?: number;
}

export interface SendgridEmulatedMessage {
  /** The X-Message-Id answered. */
  messageId: string;
  from: { email: string; name?: string };
  /** Every to address of every personalization. */
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
  categories: string[];
  /** Custom args of the first personalization merged over the top-level ones. */
  customArgs: Record<string, string>;
  body: SendgridMailBody;
}

/** The next matching requests fail with `status` (and SendGrid-shaped `errors`), or drop the connection. */
export interface SendgridFault extends FaultBase {
  status?: number;
  errors?: SendgridErrorItem[];
  /** 429 only: X-RateLimit-Reset as epoch seconds (default now + 1 s). */
  rateLimitReset?: number;
  reset?: boolean;
}

export interface SendgridEmulator {
  readonly url: string;
  readonly ca?: string;
  readonly apiKey: string;
  /** Verification key for the Event Webhook, base64 DER (as SendGrid shows it). */
  readonly eventPublicKey: string;
  readonly eventPublicKeyPem: string;
  readonly received: SendgridEmulatedMessage[];
  readonly stats: MsgServerStats;
  on(event: 'message', listener: (m: SendgridEmulatedMessage) => void): void;
  off(event: 'message', listener: (m: SendgridEmulatedMessage) => void): void;
  inject(fault: SendgridFault): void;
  /** Drops faults not yet consumed. */
  clearFaults(): void;
  /** Signs and posts an array of events to `url`. */
  postEvents(url: string, events: object[]): Promise<WebhookResult>;
  /** Builds SendGrid-shaped events of `types` for an accepted message, without posting them. */
  eventsFor(messageId: string, types: SendgridEventType[]): Record<string, unknown>[];
  /** Headers that sign `body` (for tests of forged or stale deliveries). */
  signedHeaders(body: string, timestamp?: number): Record<string, string>;
  readonly callbackErrors: unknown[];
  close(): Promise<void>;
}

const AUTH_ERROR = {
  errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }],
};

export async function startSendgridEmulator(opts: SendgridEmulatorOptions = {}): Promise<SendgridEmulator> {
  const apiKeys = opts.apiKeys ?? [`SG.${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`];
  const verified = opts.verifiedSenders ? new Set(opts.verifiedSenders.map((s) => s.toLowerCase())) : undefined;
  const bounced = new Set((opts.bouncedAddresses ?? []).map((s) => s.toLowerCase()));
  const recorder = new PushRecorder<SendgridEmulatedMessage>(opts.maxReceived);
  if (opts.onMessage) recorder.on('message', opts.onMessage);
  const byId = new BoundedMap<string, SendgridEmulatedMessage>(opts.maxReceived);
  const faults = new FaultQueue<SendgridFault>();
  const signer = createEventSigner();
  const callbackErrors: unknown[] = [];
  const later = new LaterQueue((err) => callbackErrors.push(err));
  const tls = opts.tls ? await pushTlsMaterial() : undefined;

  function authorized(r: MsgRequest): boolean {
    const m = /^Bearer\s+(.+)$/i.exec(r.req.headers.authorization ?? '');
    return !!m && apiKeys.some((k) => safeEqual(k, m[1].trim()));
  }

  function handleSend(r: MsgRequest): void {
    if (!authorized(r)) return sendJson(r.res, 401, AUTH_ERROR);
    if (!r.body) return sendJson(r.res, 413, { errors: [{ message: 'Payload Too Large', field: null, help: null }] });
    let body: SendgridMailBody;
    try {
      body = JSON.parse(r.body.toString('utf8')) as SendgridMailBody;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return sendJson(r.res, 400, { errors: [{ message: 'Bad Request', field: null, help: null }] });
    }
    const to = (body.personalizations ?? []).flatMap((p) => (Array.isArray(p.to) ? p.to.map((t) => t?.email) : []));
    const fault = faults.take(String(to[0] ?? ''));
    if (fault) return answerFault(r.res, fault);

    const errors = validateMailBody(body);
    if (errors.length) return sendJson(r.res, 400, { errors });
    const from = body.from as { email: string; name?: string };
    if (verified && !verified.has(from.email.toLowerCase())) {
      return sendJson(r.res, 403, {
        errors: [
          {
            message:
              'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements',
            field: 'from',
            help: null,
          },
        ],
      });
    }

    const first = body.personalizations?.[0];
    const message: SendgridEmulatedMessage = {
      messageId: randomBytes(16).toString('base64url'),
      from,
      to: to as string[],
      subject: first?.subject ?? body.subject ?? '',
      text: body.content?.find((c) => c.type === 'text/plain')?.value,
      html: body.content?.find((c) => c.type === 'text/html')?.value,
      headers: { ...(body.headers ?? {}), ...(first?.headers ?? {}) },
      categories: body.categories ?? [],
      customArgs: { ...(body.custom_args ?? {}), ...(first?.custom_args ?? {}) },
      body,
    };
    byId.set(message.messageId, message);
    recorder.record(message);
    r.res.writeHead(202, { 'x-message-id': message.messageId, 'content-length': 0 });
    r.res.end();

    const hook = opts.eventWebhook;
    if (hook) {
      const bounces = message.to.some((t) => bounced.has(t.toLowerCase()));
      const types: SendgridEventType[] = ['processed', bounces ? 'bounce' : 'delivered'];
      later.schedule(hook.delayMs ?? 20, () => signer.post(hook.url, eventsFor(message.messageId, types)));
    }
  }

  function eventsFor(messageId: string, types: SendgridEventType[]): Record<string, unknown>[] {
    const m = byId.get(messageId);
    if (!m) throw new Error(`sendgrid emulator: unknown message ${messageId}`);
    return m.to.flatMap((email) =>
      types.map((type) => buildEvent({ messageId, email, categories: m.categories, customArgs: m.customArgs }, type)),
    );
  }

  const server = await startMsgHttpServer(
    { host: opts.host, port: opts.port, tls, latencyMs: opts.latencyMs, onAnswered: opts.onAnswered, maxBodyBytes: opts.maxBodyBytes ?? 30 * 1024 * 1024 },
    (r) => {
      const path = (r.req.url ?? '').split('?')[0];
      if (r.req.method === 'POST' && path === '/v3/mail/send') return handleSend(r);
      sendJson(r.res, 404, { errors: [{ message: 'resource not found', field: null, help: null }] });
    },
  );

  return {
    url: server.url,
    ca: tls?.cert,
    apiKey: apiKeys[0],
    eventPublicKey: signer.publicKey,
    eventPublicKeyPem: signer.publicKeyPem,
    get received() {
      return recorder.received;
    },
    stats: server.stats,
    on: (e, l) => recorder.on(e, l),
    off: (e, l) => recorder.off(e, l),
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    postEvents: (url, events) => signer.post(url, events),
    eventsFor,
    signedHeaders: (body, timestamp) => signer.signedHeaders(body, timestamp),
    callbackErrors,
    close: async () => {
      later.cancelAll();
      await server.close();
    },
  };
}

function answerFault(res: ServerResponse, fault: SendgridFault): void {
  if (fault.reset) {
    res.socket?.destroy();
    return;
  }
  const status = fault.status ?? 500;
  const headers: Record<string, string> = {};
  if (status === 429) {
    headers['x-ratelimit-limit'] = '600';
    headers['x-ratelimit-remaining'] = '0';
    headers['x-ratelimit-reset'] = String(fault.rateLimitReset ?? Math.floor(Date.now() / 1000) + 1);
  }
  const errors = fault.errors ?? [{ message: status === 429 ? 'too many requests' : 'internal error', field: null, help: null }];
  sendJson(res, status, { errors }, headers);
}
