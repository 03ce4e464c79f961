import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FaultQueue, type FaultBase } from '../shared/push-faults.js';
import { PushRecorder } from '../shared/push-recorder.js';
import { pushTlsMaterial } from '../shared/push-tls.js';
import {
  basicAuth,
  parseFields,
  safeEqual,
  sendJson,
  startMsgHttpServer,
  type MsgRequest,
  type MsgServerStats,
} from '../shared/msg-http-server.js';
import { BoundedMap } from '../shared/msg-bounded-map.js';
import { LaterQueue, type WebhookResult } from '../shared/msg-webhook.js';
import { splitSms } from '../../domain/sms-segments.js';
import { sendTwilioError, twilioDate } from './replies.js';
import { postStatusCallback } from './status-callback.js';

/**
 * A local Twilio Messages API (2010-04-01): Basic auth against configured accounts, form
 * parsing, Twilio's validation and error bodies, real-shaped 201 answers, and signed status
 * callbacks — so the adapter and Herald's /hooks/twilio can be tested end to end.
 */
export type TwilioCallbackStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read';

export interface TwilioEmulatorOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS with the shared self-signed certificate (exposed as `ca`). */
  tls?: boolean;
  latencyMs?: number;
  /** AccountSid → AuthToken. Default: one generated account (see `accountSid`/`authToken`). */
  accounts?: Record<string, string>;
  /** If set, From must be one of these (else 21606). */
  senders?: string[];
  /** 21211: the carrier says the number does not exist. */
  invalidNumbers?: string[];
  /** 21614: a landline. */
  landlineNumbers?: string[];
  /** 21610: the recipient replied STOP. */
  optedOutNumbers?: string[];
  /** Numbers accepted at the API but later reported undelivered (ErrorCode 30003) by autoCallback. */
  unreachableNumbers?: string[];
  /** After accepting a message with a StatusCallback, post this final status to it. */
  autoCallback?: { status: TwilioCallbackStatus; delayMs?: number };
  onMessage?: (message: TwilioEmulatedMessage) => void;
  /** Bound on `received` (default 10,000). */
  maxReceived?: number;
}

export interface TwilioEmulatedMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  numSegments: number;
  statusCallback?: string;
  validityPeriod?: number;
  status: string;
  errorCode?: number;
  dateCreated: string;
}

/** The next matching requests fail: a Twilio error (`code`, HTTP `status`, `retryAfter` s) or a dropped connection. */
export interface TwilioFault extends FaultBase {
  code?: number;
  status?: number;
  message?: string;
  retryAfter?: number | string;
  /** Destroy the socket instead of answering (a network failure). */
  reset?: boolean;
}

export interface TwilioEmulator {
  readonly url: string;
  /** The certificate to trust when `tls` is on. */
  readonly ca?: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly received: TwilioEmulatedMessage[];
  readonly stats: MsgServerStats;
  on(event: 'message', listener: (m: TwilioEmulatedMessage) => void): void;
  off(event: 'message', listener: (m: TwilioEmulatedMessage) => void): void;
  inject(fault: TwilioFault): void;
  /** Drops faults not yet consumed. */
  clearFaults(): void;
  /** Posts a signed status callback for an accepted message to its StatusCallback (or `url`). */
  sendStatusCallback(
    sid: string,
    status: TwilioCallbackStatus,
    opts?: { errorCode?: number; url?: string },
  ): Promise<WebhookResult>;
  /** Errors of automatic callbacks, for tests that want to see them. */
  readonly callbackErrors: unknown[];
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const E164 = /^\+[1-9]\d{1,14}$/;

export async function startTwilioEmulator(opts: TwilioEmulatorOptions = {}): Promise<TwilioEmulator> {
  const accounts = opts.accounts ?? { [`AC${hex(16)}`]: hex(16) };
  const [accountSid, authToken] = Object.entries(accounts)[0] ?? [];
  if (!accountSid || !authToken) throw new Error('twilio emulator: at least one account is required');
  const lists = {
    invalid: new Set(opts.invalidNumbers),
    landline: new Set(opts.landlineNumbers),
    optedOut: new Set(opts.optedOutNumbers),
    unreachable: new Set(opts.unreachableNumbers),
    senders: opts.senders ? new Set(opts.senders) : undefined,
  };
  const recorder = new PushRecorder<TwilioEmulatedMessage>(opts.maxReceived);
  if (opts.onMessage) recorder.on('message', opts.onMessage);
  const bySid = new BoundedMap<string, TwilioEmulatedMessage>(opts.maxReceived);
  const faults = new FaultQueue<TwilioFault>();
  const callbackErrors: unknown[] = [];
  const later = new LaterQueue((err) => callbackErrors.push(err));
  const tls = opts.tls ? await pushTlsMaterial() : undefined;

  function authenticate(r: MsgRequest, pathAccount: string): boolean {
    const creds = basicAuth(r.req);
    const token = creds ? accounts[creds.user] : undefined;
    if (!creds || token === undefined || !safeEqual(token, creds.pass)) {
      sendTwilioError(r.res, 20003, { headers: { 'www-authenticate': 'Basic realm="Twilio API"' } });
      return false;
    }
    if (creds.user !== pathAccount) {
      sendTwilioError(r.res, 20404, { message: `The requested resource ${r.req.url} was not found` });
      return false;
    }
    return true;
  }

  function createMessage(r: MsgRequest, account: string): void {
    const f = parseFields(r.req, r.body ?? Buffer.alloc(0)) ?? {};
    const to = f.To?.trim();
    const from = f.From?.trim() || null;
    const service = f.MessagingServiceSid?.trim() || null;
    const body = f.Body ?? '';
    const fault = faults.take(to ?? '');
    if (fault) return answerFault(r.res, fault);

    if (!to) return sendTwilioError(r.res, 21604);
    if (!from && !service) return sendTwilioError(r.res, 21603);
    if (!body) return sendTwilioError(r.res, 21602);
    if (!E164.test(to) || lists.invalid.has(to)) {
      return sendTwilioError(r.res, 21211, { message: `Invalid 'To' Phone Number: ${to}` });
    }
    if (from && lists.senders && !lists.senders.has(from)) return sendTwilioError(r.res, 21606);
    if (body.length > 1600) return sendTwilioError(r.res, 21617);
    if (lists.landline.has(to)) return sendTwilioError(r.res, 21614);
    if (lists.optedOut.has(to)) return sendTwilioError(r.res, 21610);

    const now = twilioDate(new Date());
    const message: TwilioEmulatedMessage = {
      sid: `SM${hex(16)}`,
      accountSid: account,
      to,
      from,
      messagingServiceSid: service,
      body,
      numSegments: splitSms(body).parts.length,
      statusCallback: f.StatusCallback || undefined,
      validityPeriod: f.ValidityPeriod ? Number(f.ValidityPeriod) : undefined,
      // A messaging service picks the sender later, which Twilio reports as "accepted".
      status: service ? 'accepted' : 'queued',
      dateCreated: now,
    };
    bySid.set(message.sid, message);
    recorder.record(message);
    sendJson(r.res, 201, toResource(message));
    if (opts.autoCallback && message.statusCallback) {
      const unreachable = lists.unreachable.has(to);
      const status = unreachable ? 'undelivered' : opts.autoCallback.status;
      later.schedule(opts.autoCallback.delayMs ?? 20, () =>
        sendStatusCallback(message.sid, status, unreachable ? { errorCode: 30003 } : {}),
      );
    }
  }

  async function sendStatusCallback(
    sid: string,
    status: TwilioCallbackStatus,
    cb: { errorCode?: number; url?: string } = {},
  ): Promise<WebhookResult> {
    const m = bySid.get(sid);
    if (!m) throw new Error(`twilio emulator: unknown message ${sid}`);
    const url = cb.url ?? m.statusCallback;
    if (!url) throw new Error(`twilio emulator: message ${sid} has no StatusCallback`);
    m.status = status;
    if (cb.errorCode !== undefined) m.errorCode = cb.errorCode;
    return postStatusCallback(url, accounts[m.accountSid], m);
  }

  const server = await startMsgHttpServer(
    { host: opts.host, port: opts.port, tls, latencyMs: opts.latencyMs },
    (r) => {
      const path = (r.req.url ?? '').split('?')[0];
      const create = MESSAGES_PATH.exec(path);
      const fetch = MESSAGE_PATH.exec(path);
      const account = decodeURIComponent((create ?? fetch)?.[1] ?? '');
      if (!create && !fetch) return sendTwilioError(r.res, 20404, { message: `The requested resource ${path} was not found` });
      if (!authenticate(r, account)) return;
      if (create && r.req.method === 'POST') return createMessage(r, account);
      const m = fetch ? bySid.get(fetch[2]) : undefined;
      if (fetch && r.req.method === 'GET' && m && m.accountSid === account) return sendJson(r.res, 200, toResource(m));
      sendTwilioError(r.res, 20404, { message: `The requested resource ${path} was not found` });
    },
  );

  return {
    url: server.url,
    ca: tls?.cert,
    accountSid,
    authToken,
    get received() {
      return recorder.received;
    },
    stats: server.stats,
    on: (e, l) => recorder.on(e, l),
    off: (e, l) => recorder.off(e, l),
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    sendStatusCallback,
    callbackErrors,
    close: async () => {
      later.cancelAll();
      await server.close();
    },
  };
}

function answerFault(res: ServerResponse, fault: TwilioFault): void {
  if (fault.reset) {
    res.socket?.destroy();
    return;
  }
  const code = fault.code ?? defaultCode(fault.status ?? 500);
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  sendTwilioError(res, code, { status: fault.status, message: fault.message, headers });
}

/** A Twilio code that fits a bare HTTP status, for faults given without one. */
function defaultCode(status: number): number {
  if (status === 401) return 20003;
  if (status === 404) return 20404;
  if (status === 429) return 20429;
  if (status >= 500) return 20500;
  return 21211;
}

function toResource(m: TwilioEmulatedMessage): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: m.dateCreated,
    date_sent: null,
    date_updated: m.dateCreated,
    direction: 'outbound-api',
    error_code: m.errorCode ?? null,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
