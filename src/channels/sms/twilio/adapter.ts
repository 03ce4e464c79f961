import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { systemClock, type Clock } from '../../../ports/clock.js';
import { undiciConnect } from '../../outbound-sockets.js';
import { DeliveryError } from '../../../domain/delivery-error.js';
import { twilioError, twilioNetworkError } from './errors.js';

export interface TwilioConfig {
  account_sid: string;
  auth_token: string;
  /** E.164 sender; used when no messaging service is configured. */
  from?: string;
  /** MG…; preferred over `from` when both are set (the service picks the sender). */
  messaging_service_sid?: string;
  /** scheme://host:port only; default https://api.twilio.com. */
  endpoint?: string;
  /** Where Twilio posts status callbacks (Herald's /hooks/twilio). */
  status_callback_url?: string;
  /** Extra trust anchors (added to the public roots), e.g. a sandbox emulator's certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The outbound guard's lookup (ports/outbound-guard.ts); absent for the sandbox emulators. */
  lookup?: LookupFunction;
  /** Keep-alive connections to the API (default 16). */
  connections?: number;
  /** Headers and body timeout per request (default 15 s). */
  timeoutMs?: number;
  /** Turns expiresAt into ValidityPeriod and a Retry-After date into a delay (default the system clock). */
  clock?: Clock;
}

const DEFAULT_ENDPOINT = 'https://api.twilio.com';
// Twilio accepts ValidityPeriod between 1 and 36000 seconds.
const MAX_VALIDITY_S = 36_000;

export function createTwilioAdapter(config: TwilioConfig): ChannelAdapter {
  if (!config.from && !config.messaging_service_sid) {
    throw new Error('twilio: either from or messaging_service_sid is required');
  }
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
  const path = `/2010-04-01/Accounts/${encodeURIComponent(config.account_sid)}/Messages.json`;
  const headers = {
    authorization: `Basic ${Buffer.from(`${config.account_sid}:${config.auth_token}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };

  function form(msg: OutboundMessage, text: string): string {
    const f = new URLSearchParams({ To: msg.to, Body: text });
    if (config.messaging_service_sid) f.set('MessagingServiceSid', config.messaging_service_sid);
    else f.set('From', config.from as string);
    if (config.status_callback_url) f.set('StatusCallback', config.status_callback_url);
    if (msg.expiresAt !== undefined) {
      const seconds = Math.ceil((msg.expiresAt - clock.now()) / 1000);
      f.set('ValidityPeriod', String(Math.min(MAX_VALIDITY_S, Math.max(1, seconds))));
    }
    return f.toString();
  }

  async function send(msg: OutboundMessage): Promise<SendResult> {
    const text = msg.sms?.text;
    if (!text) throw new DeliveryError('permanent', 'twilio: message has no sms text');
    let status: number;
    let raw: string;
    let retryAfter: string | undefined;
    try {
      const res = await pool.request({ method: 'POST', path, headers, body: form(msg, text) });
      status = res.statusCode;
      retryAfter = headerValue(res.headers['retry-after']);
      raw = await res.body.text();
    } catch (err) {
      throw twilioNetworkError(err);
    }
    if (status !== 201 && status !== 200) throw twilioError(status, raw, retryAfter, clock.now());
    const sid = parseSid(raw);
    if (!sid) throw new DeliveryError('retryable', 'twilio: success answer without a sid', { status });
    return { providerMessageId: sid };
  }

  return {
    name: 'twilio',
    channel: 'sms',
    send,
    close: () => pool.close(),
  };
}

function parseSid(raw: string): string | undefined {
  try {
    const sid: unknown = (JSON.parse(raw) as { sid?: unknown }).sid;
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** SPEC §5: an endpoint is scheme, host and port only; Herald appends the provider's paths. */
function endpointOrigin(endpoint: string): string {
  const url = new URL(endpoint);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new Error(`twilio: endpoint must be scheme://host:port without a path, got ${endpoint}`);
  }
  return url.origin;
}
