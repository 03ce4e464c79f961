import { Type, type TObject } from '@sinclair/typebox';
import type { Channel, ProviderName } from '../domain/delivery.js';
import type { ChannelAdapter } from '../ports/channel-adapter.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';
import { createApnsAdapter } from './push/apns/adapter.js';
import { createFcmAdapter } from './push/fcm/adapter.js';
import { createWebPushAdapter } from './push/webpush/adapter.js';
import { createTwilioAdapter } from './sms/twilio/adapter.js';
import { createVonageAdapter } from './sms/vonage/adapter.js';
import { createSendgridAdapter } from './email/sendgrid/adapter.js';
import { createSmtpAdapter } from './email/smtp/adapter.js';

/** What an adapter gets besides its stored configuration. */
export interface AdapterContext {
  /** HERALD_PUBLIC_URL: where providers post delivery receipts. */
  publicUrl: string;
  /** Extra trust anchor (the sandbox emulators' certificate). */
  ca?: string;
  /**
   * Every connection of an adapter built from a tenant's configuration goes through this guard (SPEC §11);
   * null only for the operator's own sandbox emulators, and for adapters built to validate a configuration
   * and closed unused.
   */
  outbound: OutboundGuard | null;
}

/** A configuration field naming where Herald connects: a URL (`endpoint`, `token_uri`) or a bare host (SMTP). */
export interface OutboundField {
  /** Dotted path in the PUT /v1/providers body. */
  path: string;
  kind: 'url' | 'host';
}

export interface ProviderSpec {
  channel: Channel;
  /** The PUT /v1/providers/{name} body without the common priority/enabled. */
  schema: TObject;
  /** Dotted paths never returned by reads. */
  secrets: string[];
  /** Fields that are tenant-given destinations, checked by the outbound guard when saved (services/provider-configs.ts). */
  destinations: OutboundField[];
  create(config: any, ctx: AdapterContext): ChannelAdapter;
}

const Endpoint = Type.Optional(Type.String({ pattern: '^https?://[^/?#]+/?$', maxLength: 300, description: 'scheme://host:port only' }));
const Str = (max = 500) => Type.String({ minLength: 1, maxLength: max });
const Pem = Type.String({ minLength: 40, maxLength: 10_000, pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----' });

/** Every provider Herald speaks: adding one is its folder and one entry here. */
export const PROVIDERS: Record<ProviderName, ProviderSpec> = {
  apns: {
    channel: 'push',
    schema: Type.Object({ team_id: Str(20), key_id: Str(20), private_key: Pem, topic: Str(200), production: Type.Optional(Type.Boolean()), endpoint: Endpoint }),
    secrets: ['private_key'],
    destinations: [{ path: 'endpoint', kind: 'url' }],
    create: (c, ctx) => createApnsAdapter({ ...c, ca: ctx.ca, lookup: ctx.outbound?.lookup }),
  },
  fcm: {
    channel: 'push',
    schema: Type.Object({
      service_account: Type.Object({
        project_id: Str(100),
        client_email: Str(300),
        private_key: Pem,
        private_key_id: Type.Optional(Str(100)),
        token_uri: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 500 })),
      }),
      endpoint: Endpoint,
    }),
    secrets: ['service_account.private_key'],
    // The service account's token_uri is a URL the tenant gives too, and gets a signed assertion.
    destinations: [
      { path: 'endpoint', kind: 'url' },
      { path: 'service_account.token_uri', kind: 'url' },
    ],
    create: (c, ctx) => createFcmAdapter({ ...c, ca: ctx.ca, lookup: ctx.outbound?.lookup }),
  },
  webpush: {
    channel: 'push',
    schema: Type.Object({ vapid_public_key: Str(200), vapid_private_key: Str(200), subject: Type.String({ pattern: '^(mailto:|https:)', maxLength: 300 }) }),
    secrets: ['vapid_private_key'],
    // Its destinations are the subscriptions' endpoints, checked when a device is registered (http/routes/users.ts).
    destinations: [],
    create: (c, ctx) => createWebPushAdapter({ ...c, ca: ctx.ca, lookup: ctx.outbound?.lookup }),
  },
  twilio: {
    channel: 'sms',
    schema: Type.Object({
      account_sid: Type.String({ pattern: '^AC[0-9a-fA-F]{32}$' }),
      auth_token: Str(200),
      from: Type.Optional(Str(32)),
      messaging_service_sid: Type.Optional(Type.String({ pattern: '^MG[0-9a-fA-F]{32}$' })),
      endpoint: Endpoint,
    }),
    secrets: ['auth_token'],
    destinations: [{ path: 'endpoint', kind: 'url' }],
    create: (c, ctx) => createTwilioAdapter({ ...c, status_callback_url: `${ctx.publicUrl}/hooks/twilio`, ca: ctx.ca, lookup: ctx.outbound?.lookup }),
  },
  vonage: {
    channel: 'sms',
    schema: Type.Object({
      api_key: Str(100),
      api_secret: Str(200),
      from: Str(32),
      endpoint: Endpoint,
      signature_secret: Type.Optional(Str(200)),
      signature_method: Type.Optional(Type.Union(['md5hash', 'md5', 'sha1', 'sha256', 'sha512'].map((m) => Type.Literal(m)))),
    }),
    secrets: ['api_secret', 'signature_secret'],
    destinations: [{ path: 'endpoint', kind: 'url' }],
    create: (c, ctx) => createVonageAdapter({ ...c, callback_url: `${ctx.publicUrl}/hooks/vonage`, ca: ctx.ca, lookup: ctx.outbound?.lookup }),
  },
  sendgrid: {
    channel: 'email',
    schema: Type.Object({
      api_key: Str(200),
      from: Str(300),
      endpoint: Endpoint,
      webhook_public_key: Type.Optional(Type.String({ minLength: 40, maxLength: 2000, description: 'the Event Webhook verification key (base64 DER or PEM)' })),
      connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 512, description: 'keep-alive connections per process (default 64): one request at a time each, so a process sends at most connections ÷ latency' })),
    }),
    secrets: ['api_key'],
    destinations: [{ path: 'endpoint', kind: 'url' }],
    create: (c, ctx) => createSendgridAdapter({ ...c, ca: ctx.ca, lookup: ctx.outbound?.lookup }),
  },
  smtp: {
    channel: 'email',
    schema: Type.Object({
      host: Str(253),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      secure: Type.Optional(Type.Boolean()),
      user: Type.Optional(Str(300)),
      pass: Type.Optional(Str(300)),
      from: Str(300),
    }),
    secrets: ['pass'],
    destinations: [{ path: 'host', kind: 'host' }],
    create: (c, ctx) => createSmtpAdapter({ ...c, tls: ctx.ca ? { ca: ctx.ca } : undefined, lookup: ctx.outbound?.lookup }),
  },
};

export const isProviderName = (s: string): s is ProviderName => Object.hasOwn(PROVIDERS, s);

/** The configuration with its secrets replaced by `"***"`, for reads. */
export function redact(name: ProviderName, config: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of PROVIDERS[name].secrets) {
    const parts = path.split('.');
    let o: any = copy;
    for (const p of parts.slice(0, -1)) o = o?.[p];
    if (o && o[parts[parts.length - 1]] !== undefined) o[parts[parts.length - 1]] = '***';
  }
  return copy;
}
