import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { systemClock, type Clock } from '../../../ports/clock.js';
import { undiciConnect } from '../../outbound-sockets.js';
import { DeliveryError } from '../../../domain/delivery-error.js';
import { vonageHttpError, vonageNetworkError, vonageStatusError } from './errors.js';
import { isGsm7 } from '../../../domain/sms-segments.js';

export interface VonageConfig {
  api_key: string;
  api_secret: string;
  /** Sender: a number (E.164, the '+' is dropped) or an alphanumeric sender id. */
  from: string;
  /** scheme://host:port only; default https://rest.nexmo.com. */
  endpoint?: string;
  /** Where Vonage sends delivery receipts (Herald's /hooks/vonage); else the account default. */
  callback_url?: string;
  /** Extra trust anchors (added to the public roots), e.g. a sandbox emulator's certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The outbound guard's lookup (ports/outbound-guard.ts); absent for the sandbox emulators. */
  lookup?: LookupFunction;
  /** Keep-alive connections (default 16). */
  connections?: number;
  /** Headers and body timeout per request (default 15 s). */
  timeoutMs?: number;
  /** Turns expiresAt into ttl (default the system clock). */
  clock?: Clock;
}

interface VonageReply {
  'message-count'?: string;
  messages?: Array<{ status?: string | number; 'message-id'?: string; 'error-text'?: string }>;
}

const DEFAULT_ENDPOINT = 'https://rest.nexmo.com';
// Vonage accepts ttl between 20 s and 7 days, in milliseconds.
const MIN_TTL_MS = 20_000;
const MAX_TTL_MS = 604_800_000;

export function createVonageAdapter(config: VonageConfig): ChannelAdapter {
  const origin = endpointOrigin(config.endpoint ?? DEFAULT_ENDPOINT);
  const timeout = config.timeoutMs ?? 15_000;
  const clock = config.clock ?? systemClock;
  const pool = new Pool(origin, {
    connections: config.connections ?? 16,
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    // A `ca` given to TLS replaces the default trust store, so keep the public roots beside it;
    // one context built here instead of the list re-parsed on every new connection.
    connect: undiciConnect(config.lookup, config.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, ...[config.ca].flat()] }) } : {}),
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const from = /^\+\d+$/.test(config.from) ? config.from.slice(1) : config.from;

  function form(msg: OutboundMessage, text: string): string {
    const f = new URLSearchParams({
      api_key: config.api_key,
      api_secret: config.api_secret,
      from,
      to: msg.to.replace(/^\+/, ''),
      text,
      // Vonage sends 7-bit GSM unless told otherwise, turning other characters into '?'.
      type: isGsm7(text) ? 'text' : 'unicode',
      'client-ref': msg.deliveryId,
    });
    if (config.callback_url) f.set('callback', config.callback_url);
    if (msg.expiresAt !== undefined) {
      f.set('ttl', String(Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, msg.expiresAt - clock.now()))));
    }
    return f.toString();
  }

  async function send(msg: OutboundMessage): Promise<SendResult> {
    const text = msg.sms?.text;
    if (!text) throw new DeliveryError('permanent', 'vonage: message has no sms text');
    let status: number;
    let raw: string;
    try {
      const res = await pool.request({ method: 'POST', path: '/sms/json', headers, body: form(msg, text) });
      status = res.statusCode;
      raw = await res.body.text();
    } catch (err) {
      throw vonageNetworkError(err);
    }
    if (status !== 200) throw vonageHttpError(status, raw);
    const parts = parseReply(raw)?.messages;
    if (!parts?.length) throw new DeliveryError('retryable', 'vonage: answer without messages', { status });
    // One entry per part; a message only counts as sent when every part was accepted.
    const failed = parts.find((p) => Number(p.status) !== 0);
    if (failed) throw vonageStatusError(Number(failed.status), failed['error-text']);
    return { providerMessageId: parts[0]['message-id'] };
  }

  return { name: 'vonage', channel: 'sms', send, close: () => pool.close() };
}

function parseReply(raw: string): VonageReply | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? (parsed as VonageReply) : undefined;
  } catch {
    return undefined;
  }
}

/** SPEC §5: an endpoint is scheme, host and port only; Herald appends the provider's paths. */
function endpointOrigin(endpoint: string): string {
  const url = new URL(endpoint);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new Error(`vonage: endpoint must be scheme://host:port without a path, got ${endpoint}`);
  }
  return url.origin;
}
