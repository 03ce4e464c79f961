import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { systemClock, type Clock } from '../../../ports/clock.js';
import { undiciConnect } from '../../outbound-sockets.js';
import { DeliveryError } from '../../../domain/delivery-error.js';
import { DELIVERY_ID_ARG } from './custom-args.js';
import { sendgridError, sendgridNetworkError } from './errors.js';

export interface SendgridConfig {
  api_key: string;
  /** "sender@example.com" or "Name <sender@example.com>". */
  from: string;
  /** scheme://host:port only; default https://api.sendgrid.com. */
  endpoint?: string;
  /** Extra trust anchors (added to the public roots), e.g. a sandbox emulator's certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The outbound guard's lookup (ports/outbound-guard.ts); absent for the sandbox emulators. */
  lookup?: LookupFunction;
  /**
   * Keep-alive connections (default 64). HTTP/1.1 carries one request per connection at a time, so a
   * process sends at most connections / latency: 16 capped a worker at ~800/s against a 20 ms emulator
   * and ~100/s against SendGrid's usual 100–200 ms, below an email burst's pace.
   */
  connections?: number;
  /** Headers and body timeout per request (default 30 s; mail/send can be slow with large bodies). */
  timeoutMs?: number;
  /** Turns X-RateLimit-Reset into a delay (default the system clock). */
  clock?: Clock;
}

const DEFAULT_ENDPOINT = 'https://api.sendgrid.com';

export function createSendgridAdapter(config: SendgridConfig): ChannelAdapter {
  const origin = endpointOrigin(config.endpoint ?? DEFAULT_ENDPOINT);
  const timeout = config.timeoutMs ?? 30_000;
  const clock = config.clock ?? systemClock;
  const pool = new Pool(origin, {
    connections: config.connections ?? 64,
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    // A `ca` given to TLS replaces the default trust store, so keep the public roots beside it;
    // one context built here instead of the list re-parsed on every new connection.
    connect: undiciConnect(config.lookup, config.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, ...[config.ca].flat()] }) } : {}),
  });
  const from = parseAddress(config.from);
  const headers = {
    authorization: `Bearer ${config.api_key}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };

  function body(msg: OutboundMessage): string {
    const email = msg.email;
    if (!email) throw new DeliveryError('permanent', 'sendgrid: message has no email content');
    // SendGrid rejects empty content values and wants text/plain before text/html.
    const content = [
      ...(email.text ? [{ type: 'text/plain', value: email.text }] : []),
      ...(email.html ? [{ type: 'text/html', value: email.html }] : []),
    ];
    if (!content.length) throw new DeliveryError('permanent', 'sendgrid: email has neither text nor html');
    return JSON.stringify({
      personalizations: [{ to: [{ email: msg.to }], custom_args: { [DELIVERY_ID_ARG]: msg.deliveryId } }],
      from,
      subject: email.subject,
      content,
      ...(email.headers && Object.keys(email.headers).length ? { headers: email.headers } : {}),
      ...(msg.category ? { categories: [msg.category] } : {}),
    });
  }

  async function send(msg: OutboundMessage): Promise<SendResult> {
    const payload = body(msg);
    let status: number;
    let raw: string;
    let messageId: string | undefined;
    let reset: string | undefined;
    try {
      const res = await pool.request({ method: 'POST', path: '/v3/mail/send', headers, body: payload });
      status = res.statusCode;
      messageId = headerValue(res.headers['x-message-id']);
      reset = headerValue(res.headers['x-ratelimit-reset']);
      raw = await res.body.text();
    } catch (err) {
      throw sendgridNetworkError(err);
    }
    if (status !== 202 && status !== 200) throw sendgridError(status, raw, reset, clock.now());
    return { providerMessageId: messageId };
  }

  return { name: 'sendgrid', channel: 'email', send, close: () => pool.close() };
}

/** "Name <a@b>" → {email, name}; a bare address → {email}. */
export function parseAddress(value: string): { email: string; name?: string } {
  const m = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(value);
  if (!m) return { email: value.trim() };
  const name = m[1].replace(/^"(.*)"$/, '$1').trim();
  return name ? { email: m[2], name } : { email: m[2] };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** SPEC §5: an endpoint is scheme, host and port only; Herald appends the provider's paths. */
function endpointOrigin(endpoint: string): string {
  const url = new URL(endpoint);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new Error(`sendgrid: endpoint must be scheme://host:port without a path, got ${endpoint}`);
  }
  return url.origin;
}
