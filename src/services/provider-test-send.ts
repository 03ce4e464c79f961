import { randomUUID } from 'node:crypto';
import { PROVIDERS, isProviderName } from '../channels/registry.js';
import { isApnsToken, isEmail, isFcmToken, normalisePhone, webSubscriptionProblem } from '../domain/contacts.js';
import { toDeliveryError, type DeliveryErrorKind } from '../domain/delivery-error.js';
import { badRequest, notFound } from '../domain/errors.js';
import { PUSH_PROVIDER, PLATFORMS, type Platform, type ProviderName } from '../domain/delivery.js';
import type { ChannelAdapter, OutboundMessage, WebPushSubscription } from '../ports/channel-adapter.js';
import type { Store } from '../ports/store.js';
import { escapeHtml } from './html-escape.js';
import { unknownProvider } from './provider-configs.js';
import type { SecretBox } from './secret-box.js';

/** The provider's answer to a test, as it came back through the adapter. */
export type TestSendResult =
  | { ok: true; provider: ProviderName; to: string; providerMessageId?: string; ms: number }
  | { ok: false; provider: ProviderName; to: string; kind: DeliveryErrorKind; message: string; providerCode?: string; status?: number; ms: number };

/** Builds a one-off adapter for a configuration, as the directory would (its sandbox rules included). */
export interface AdapterBuilder {
  build(provider: ProviderName, config: Record<string, unknown>): ChannelAdapter;
}

/** Adapters time out their own requests; this bounds the page's wait when a connection hangs before that. */
const TEST_TIMEOUT_MS = 20_000;

/** What each provider's test goes to, in words for a form. */
export const TEST_RECIPIENT: Record<ProviderName, string> = {
  apns: 'iOS device token (hex)',
  fcm: 'FCM registration token',
  webpush: 'Push subscription (the JSON from PushManager.subscribe)',
  twilio: 'Phone number (E.164, e.g. +14155552671)',
  vonage: 'Phone number (E.164, e.g. +14155552671)',
  sendgrid: 'Email address',
  smtp: 'Email address',
};

/**
 * One test message through exactly one of an app's stored provider configurations, enabled or not,
 * whatever the failover order says, answering what the provider said. Nothing is written to the log
 * and the circuit breakers are not told: a test is not traffic.
 */
export class ProviderTestSend {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly adapters: AdapterBuilder,
  ) {}

  async send(app: { id: string; name: string }, name: string, recipient: string): Promise<TestSendResult> {
    if (!isProviderName(name)) throw unknownProvider();
    const msg = testMessage(app, name, recipient);
    const row = (await this.store.providers.list(app.id)).find((r) => r.name === name);
    if (!row) throw notFound('unknown_provider', `no ${name} configuration`);
    const adapter = this.adapters.build(name, JSON.parse(this.box.open(row.config_enc, `${app.id}/${name}`)));
    // Wall time of the call, shown to the operator; nothing is decided by it, so not the injected clock.
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TEST_TIMEOUT_MS / 1000} s`)), TEST_TIMEOUT_MS);
      });
      const r = await Promise.race([adapter.send(msg), timeout]);
      return { ok: true, provider: name, to: msg.to, providerMessageId: r.providerMessageId, ms: Math.round(performance.now() - started) };
    } catch (err) {
      const e = toDeliveryError(err);
      return { ok: false, provider: name, to: msg.to, kind: e.kind, message: e.message, providerCode: e.providerCode, status: e.status, ms: Math.round(performance.now() - started) };
    } finally {
      clearTimeout(timer);
      await adapter.close().catch(() => undefined);
    }
  }
}

/** The test message for the provider's channel, or a 400 naming what is wrong with the recipient. */
export function testMessage(app: { id: string; name: string }, name: ProviderName, recipient: string): OutboundMessage {
  const channel = PROVIDERS[name].channel;
  const to = recipient.trim();
  const text = `Test message from Herald (app ${app.name}) through ${name}.`;
  const base = { deliveryId: randomUUID(), appId: app.id, channel, priority: 'normal' as const };
  if (channel === 'sms') {
    const phone = normalisePhone(to);
    if (!phone) throw badRequest('invalid_recipient', 'give a valid phone number in E.164 form, e.g. +14155552671', 'to');
    return { ...base, to: phone, sms: { text } };
  }
  if (channel === 'email') {
    if (!isEmail(to)) throw badRequest('invalid_recipient', 'give a valid email address', 'to');
    return { ...base, to, email: { subject: 'Herald test message', text, html: `<p>${escapeHtml(text)}</p>` } };
  }
  const platform = PLATFORMS.find((p) => PUSH_PROVIDER[p] === name) as Platform;
  const push = { title: 'Herald test', body: text };
  if (platform === 'web') {
    const subscription = parseSubscription(to);
    return { ...base, platform, to: subscription.endpoint, subscription, push };
  }
  if (platform === 'ios' ? !isApnsToken(to) : !isFcmToken(to)) {
    throw badRequest('invalid_recipient', platform === 'ios' ? 'give an APNs device token: 64 or more hex characters' : 'give an FCM registration token', 'to');
  }
  return { ...base, platform, to, push };
}

function parseSubscription(s: string): WebPushSubscription {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    throw badRequest('invalid_recipient', 'give the subscription as JSON: {"endpoint":…,"keys":{"p256dh":…,"auth":…}}', 'to');
  }
  const sub = v as Partial<WebPushSubscription> | null;
  if (!sub || typeof sub.endpoint !== 'string' || typeof sub.keys?.p256dh !== 'string' || typeof sub.keys?.auth !== 'string') {
    throw badRequest('invalid_recipient', 'the subscription needs endpoint, keys.p256dh and keys.auth', 'to');
  }
  const clean = { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
  const problem = webSubscriptionProblem(clean);
  if (problem) throw badRequest('invalid_recipient', problem, 'to');
  return clean;
}
