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
import { isGsm7, splitSms } from '../../domain/sms-segments.js';
import { dlrParams, postDlr, signDlr, type VonageDlrMethod, type VonageDlrSigning, type VonageDlrStatus } from './dlr.js';

/**
 * A local Vonage SMS API (`POST /sms/json`, form or JSON): credentials checked like the real
 * service (status 4 inside an HTTP 200 envelope), text cut into parts by GSM-7/UCS-2 rules with
 * one answer entry per part, Vonage status codes on injection, and per-part delivery receipts.
 */
export interface VonageEmulatorOptions {
  host?: string;
  port?: number;
  tls?: boolean;
  latencyMs?: number;
  /** api_key → api_secret. Default: one generated pair (see `apiKey`/`apiSecret`). */
  credentials?: Record<string, string>;
  /** Status 7. */
  barredNumbers?: string[];
  /** Status 33. */
  deactivatedNumbers?: string[];
  /** Demo account: only these destinations are allowed (status 29 otherwise). */
  whitelist?: string[];
  /** Accepted, then a DLR with status failed (err-code 1). */
  undeliverableNumbers?: string[];
  /** Send a receipt for each part to the message's `callback` (or `dlr.url`). */
  dlr?: {
    status?: VonageDlrStatus;
    delayMs?: number;
    /** Default POST-JSON. */
    method?: VonageDlrMethod;
    /** Where receipts go when the request had no `callback`. */
    url?: string;
    /** Sign receipts (timestamp, nonce, sig) as an account with a signature secret does. */
    signing?: VonageDlrSigning;
  };
  onMessage?: (message: VonageEmulatedMessage) => void;
  maxReceived?: number;
}

export interface VonageEmulatedMessage {
  /** message-id of each part, in order. */
  messageIds: string[];
  apiKey: string;
  from: string;
  to: string;
  text: string;
  type: string;
  encoding: 'GSM-7' | 'UCS-2';
  parts: string[];
  clientRef?: string;
  callback?: string;
  ttl?: number;
}

/** The next matching requests fail: a Vonage `status` in the 200 envelope, a bare HTTP status, or a dropped connection. */
export interface VonageFault extends FaultBase {
  status?: number;
  errorText?: string;
  httpStatus?: number;
  reset?: boolean;
}

export interface VonageEmulator {
  readonly url: string;
  readonly ca?: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly received: VonageEmulatedMessage[];
  readonly stats: MsgServerStats;
  on(event: 'message', listener: (m: VonageEmulatedMessage) => void): void;
  off(event: 'message', listener: (m: VonageEmulatedMessage) => void): void;
  inject(fault: VonageFault): void;
  /** Drops faults not yet consumed. */
  clearFaults(): void;
  /** Sends the receipts (one per part) of an accepted message now. */
  sendDlr(firstMessageId: string, status: VonageDlrStatus, opts?: { errCode?: string; url?: string }): Promise<WebhookResult[]>;
  readonly callbackErrors: unknown[];
  close(): Promise<void>;
}

const VONAGE_ERROR_TEXT: Record<number, string> = {
  1: 'Throttled',
  2: 'Missing Parameters',
  3: 'Invalid Parameters',
  4: 'Bad Credentials',
  5: 'Internal Error',
  6: 'Invalid Message',
  7: 'Number Barred',
  8: 'Partner Account Barred',
  9: 'Partner Quota Violation',
  10: 'Too Many Existing Binds',
  11: 'Account Not Enabled For HTTP',
  12: 'Message Too Long',
  14: 'Invalid Signature',
  15: 'Invalid Sender Address',
  22: 'Invalid Network Code',
  23: 'Invalid Callback Url',
  29: 'Non-Whitelisted Destination',
  32: 'Signature And API Secret Disallowed',
  33: 'Number De-activated',
};

// The emulator's own cap; Vonage documents no exact figure beyond recommending short messages.
const MAX_TEXT = 3200;

export async function startVonageEmulator(opts: VonageEmulatorOptions = {}): Promise<VonageEmulator> {
  const credentials = opts.credentials ?? { [hex(4)]: hex(8) };
  const [apiKey, apiSecret] = Object.entries(credentials)[0] ?? [];
  if (!apiKey || !apiSecret) throw new Error('vonage emulator: at least one api key is required');
  const barred = new Set(opts.barredNumbers);
  const deactivated = new Set(opts.deactivatedNumbers);
  const whitelist = opts.whitelist ? new Set(opts.whitelist.map((n) => n.replace(/^\+/, ''))) : undefined;
  const undeliverable = new Set((opts.undeliverableNumbers ?? []).map((n) => n.replace(/^\+/, '')));
  const recorder = new PushRecorder<VonageEmulatedMessage>(opts.maxReceived);
  if (opts.onMessage) recorder.on('message', opts.onMessage);
  const byId = new BoundedMap<string, VonageEmulatedMessage>(opts.maxReceived);
  const faults = new FaultQueue<VonageFault>();
  const callbackErrors: unknown[] = [];
  const later = new LaterQueue((err) => callbackErrors.push(err));
  const tls = opts.tls ? await pushTlsMaterial() : undefined;
  let balance = 100;

  function refuse(res: ServerResponse, status: number, errorText = VONAGE_ERROR_TEXT[status] ?? 'Error'): void {
    sendJson(res, 200, { 'message-count': '1', messages: [{ status: String(status), 'error-text': errorText }] });
  }

  function handleSend(r: MsgRequest): void {
    const f = parseFields(r.req, r.body ?? Buffer.alloc(0));
    if (!f) return refuse(r.res, 2, 'Missing Parameters');
    // The v3 SDK sends JSON with Basic auth instead of api_key/api_secret fields.
    const basic = basicAuth(r.req);
    const key = f.api_key ?? basic?.user;
    const secret = f.api_secret ?? basic?.pass;
    if (!key) return refuse(r.res, 2, 'Missing api_key');
    const expected = credentials[key];
    if (secret === undefined || expected === undefined || !safeEqual(expected, secret)) return refuse(r.res, 4);

    const to = (f.to ?? '').replace(/^\+/, '');
    const fault = faults.take(to);
    if (fault) return answerFault(r.res, fault, refuse);

    const type = f.type ?? 'text';
    const text = f.text ?? '';
    if (!f.from) return refuse(r.res, 2, 'Missing from param');
    if (!to) return refuse(r.res, 2, 'Missing to param');
    if (!text && (type === 'text' || type === 'unicode')) return refuse(r.res, 2, 'Missing text param');
    if (!/^\d{6,15}$/.test(to)) return refuse(r.res, 3, 'Invalid to param');
    if (!['text', 'unicode', 'binary'].includes(type)) return refuse(r.res, 3, 'Invalid type param');
    if (f['client-ref'] && f['client-ref'].length > 100) return refuse(r.res, 3, 'Invalid client-ref param');
    const ttl = f.ttl ? Number(f.ttl) : undefined;
    const ttlOk = ttl === undefined || (Number.isInteger(ttl) && ttl >= 20_000 && ttl <= 604_800_000);
    if (!ttlOk) return refuse(r.res, 3, 'Invalid ttl param');
    if (f.callback && !isHttpUrl(f.callback)) return refuse(r.res, 23);
    if (text.length > MAX_TEXT) return refuse(r.res, 12);
    if (whitelist && !whitelist.has(to)) return refuse(r.res, 29);
    if (barred.has(to) || barred.has(`+${to}`)) return refuse(r.res, 7);
    if (deactivated.has(to) || deactivated.has(`+${to}`)) return refuse(r.res, 33);

    // type=text with characters outside GSM-7 still goes as 7-bit (they arrive as '?'), which is
    // why the adapter asks for unicode; the part count follows the requested type.
    const { parts } =
      type === 'unicode' ? splitSms(text, 'UCS-2') : splitSms([...text].map((ch) => (isGsm7(ch) ? ch : '?')).join(''), 'GSM-7');
    const message: VonageEmulatedMessage = {
      messageIds: parts.map(() => randomBytes(8).toString('hex').toUpperCase()),
      apiKey: key,
      from: f.from,
      to,
      text,
      type,
      encoding: type === 'unicode' ? 'UCS-2' : 'GSM-7',
      parts,
      clientRef: f['client-ref'],
      callback: f.callback,
      ttl,
    };
    byId.set(message.messageIds[0], message);
    recorder.record(message);

    sendJson(r.res, 200, {
      'message-count': String(parts.length),
      messages: message.messageIds.map((id) => {
        balance -= 0.0333;
        const entry: Record<string, string> = {
          to,
          'message-id': id,
          status: '0',
          'remaining-balance': balance.toFixed(8),
          'message-price': '0.03330000',
          network: '23410',
        };
        if (message.clientRef) entry['client-ref'] = message.clientRef;
        return entry;
      }),
    });

    if (opts.dlr && (message.callback || opts.dlr.url)) {
      const failed = undeliverable.has(to);
      later.schedule(opts.dlr.delayMs ?? 20, () =>
        sendDlr(message.messageIds[0], failed ? 'failed' : (opts.dlr?.status ?? 'delivered'), { errCode: failed ? '1' : '0' }),
      );
    }
  }

  async function sendDlr(
    firstMessageId: string,
    status: VonageDlrStatus,
    o: { errCode?: string; url?: string } = {},
  ): Promise<WebhookResult[]> {
    const m = byId.get(firstMessageId);
    if (!m) throw new Error(`vonage emulator: unknown message ${firstMessageId}`);
    const url = o.url ?? m.callback ?? opts.dlr?.url;
    if (!url) throw new Error(`vonage emulator: message ${firstMessageId} has no callback`);
    const results: WebhookResult[] = [];
    for (const messageId of m.messageIds) {
      let params = dlrParams({
        messageId,
        msisdn: m.to,
        sender: m.from,
        apiKey: m.apiKey,
        clientRef: m.clientRef,
        status,
        errCode: o.errCode ?? (status === 'delivered' ? '0' : '1'),
      });
      if (opts.dlr?.signing) params = signDlr(params, opts.dlr.signing);
      results.push(await postDlr(url, opts.dlr?.method ?? 'POST-JSON', params));
    }
    return results;
  }

  const server = await startMsgHttpServer({ host: opts.host, port: opts.port, tls, latencyMs: opts.latencyMs }, (r) => {
    const path = (r.req.url ?? '').split('?')[0];
    if (r.req.method === 'POST' && path === '/sms/json') return handleSend(r);
    sendJson(r.res, 404, { type: 'https://developer.vonage.com/api-errors#not-found', title: 'Not Found' });
  });

  return {
    url: server.url,
    ca: tls?.cert,
    apiKey,
    apiSecret,
    get received() {
      return recorder.received;
    },
    stats: server.stats,
    on: (e, l) => recorder.on(e, l),
    off: (e, l) => recorder.off(e, l),
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    sendDlr,
    callbackErrors,
    close: async () => {
      later.cancelAll();
      await server.close();
    },
  };
}

function answerFault(
  res: ServerResponse,
  fault: VonageFault,
  refuse: (res: ServerResponse, status: number, text?: string) => void,
): void {
  if (fault.reset) {
    res.socket?.destroy();
    return;
  }
  if (fault.httpStatus !== undefined) {
    sendJson(res, fault.httpStatus, { type: 'https://developer.vonage.com/api-errors', title: fault.errorText ?? 'Error' });
    return;
  }
  refuse(res, fault.status ?? 5, fault.errorText);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && s.length <= 100 * 1024;
  } catch {
    return false;
  }
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
