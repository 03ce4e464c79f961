import type { EventType, ProviderName } from '../domain/delivery.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveriesRow, Store } from '../ports/store.js';
import type { ProviderSource } from './provider-directory.js';
import { parseTwilioStatus, verifyTwilioSignature } from '../channels/receipts/twilio.js';
import { parseSendgridEvents, verifySendgridSignature } from '../channels/receipts/sendgrid.js';
import { parseVonageReceipt, verifyVonageSignature, type VonageSignatureMethod } from '../channels/receipts/vonage.js';

/** Statuses a delivery has until its outcome is recorded; how long a receipt waits for it to leave them. */
const OPEN = new Set(['queued', 'scheduled']);
const SETTLE_MS = 1000;

export type ReceiptOutcome = { status: 200 | 400 | 401 | 403 | 404; message: string; applied?: number };

/** What a receipt's event does to the delivery: final provider states move its status; the rest only add an event. */
const STATUS_FOR: Partial<Record<EventType, { status: 'delivered' | 'failed'; reason?: string }>> = {
  delivered: { status: 'delivered' },
  failed: { status: 'failed', reason: 'undelivered' },
  bounced: { status: 'failed', reason: 'bounced' },
  expired: { status: 'failed', reason: 'expired_at_provider' },
};

/**
 * Delivery receipts from providers. A receipt is trusted only after its signature checks out with
 * the credentials of the app whose delivery it names; anything unsigned or forged changes nothing.
 */
export class ReceiptService {
  constructor(
    private readonly store: Store,
    private readonly source: ProviderSource,
    private readonly clock: Clock,
  ) {}

  /**
   * The delivery a receipt names, once its own outcome is recorded. A provider can answer a send and
   * post its receipt before the worker's group commit (≤ 10 ms, more under load) has recorded `sent` and
   * the provider's message id; applied then, the receipt would find no delivery by message id, or a
   * delivery not yet `sent` whose status it may not move. So a receipt for a delivery still open waits
   * for it, until the request's deadline (the provider's own retry covers a longer delay).
   */
  private async settled(by: Parameters<Store['deliveries']['findForReceipt']>[0], deadline: number): Promise<DeliveriesRow | undefined> {
    for (;;) {
      const d = await this.store.deliveries.findForReceipt(by);
      if ((d && !OPEN.has(d.status)) || Date.now() >= deadline) return d;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async config(appId: string, name: ProviderName): Promise<Record<string, any> | undefined> {
    return (await this.source.load(appId)).find((p) => p.name === name)?.config;
  }

  private async apply(d: DeliveriesRow, type: EventType, data: Record<string, unknown>): Promise<void> {
    const now = this.clock.now();
    await this.store.deliveries.applyReceipt(
      d,
      { ...STATUS_FOR[type], event: { app_id: d.app_id, notification_id: d.notification_id, delivery_id: d.id, type, at: now, data: JSON.stringify(data) } },
      now,
    );
  }

  async twilio(params: Record<string, string>, signature: string | undefined, url: string): Promise<ReceiptOutcome> {
    if (!signature) return { status: 401, message: 'X-Twilio-Signature is required' };
    const r = parseTwilioStatus(params);
    if (!r) return { status: 400, message: 'not a status callback' };
    const d = await this.settled({ provider: 'twilio', providerMessageId: r.providerMessageId }, Date.now() + SETTLE_MS);
    const cfg = d && (await this.config(d.app_id, 'twilio'));
    if (!d || !cfg || !verifyTwilioSignature(cfg.auth_token, url, params, signature)) return { status: 403, message: 'signature does not verify' };
    if (r.event) await this.apply(d, r.event, { provider: 'twilio', status: r.status, error_code: r.errorCode });
    return { status: 200, message: 'ok', applied: r.event ? 1 : 0 };
  }

  async vonage(params: Record<string, string>): Promise<ReceiptOutcome> {
    const r = parseVonageReceipt(params);
    if (!r) return { status: 400, message: 'not a delivery receipt' };
    if (!params.sig) return { status: 401, message: 'signed receipts are required (set signature_secret on the vonage provider)' };
    const d = await this.settled(r.deliveryId ? { id: r.deliveryId, provider: 'vonage' } : { provider: 'vonage', providerMessageId: r.providerMessageId }, Date.now() + SETTLE_MS);
    const cfg = d && d.provider === 'vonage' ? await this.config(d.app_id, 'vonage') : undefined;
    const ok = cfg?.signature_secret && verifyVonageSignature(cfg.signature_secret, params, { method: (cfg.signature_method ?? 'md5hash') as VonageSignatureMethod, now: this.clock.now() });
    if (!d || !ok) return { status: 403, message: 'signature does not verify' };
    if (r.event) await this.apply(d, r.event, { provider: 'vonage', status: r.status, err_code: r.errCode, message_id: r.providerMessageId });
    return { status: 200, message: 'ok', applied: r.event ? 1 : 0 };
  }

  async sendgrid(raw: Buffer, signature: string | undefined, timestamp: string | undefined): Promise<ReceiptOutcome> {
    if (!signature || !timestamp) return { status: 401, message: 'the Event Webhook signature headers are required' };
    let events;
    try {
      events = parseSendgridEvents(JSON.parse(raw.toString('utf8')));
    } catch {
      return { status: 400, message: 'body is not JSON' };
    }
    const deadline = Date.now() + SETTLE_MS;
    const first = events.find((e) => e.deliveryId);
    const firstDelivery = first && (await this.settled({ id: first.deliveryId, provider: 'sendgrid' }, deadline));
    const cfg = firstDelivery ? await this.config(firstDelivery.app_id, 'sendgrid') : undefined;
    if (!firstDelivery || !cfg?.webhook_public_key || !verifySendgridSignature(cfg.webhook_public_key, raw, signature, timestamp)) {
      return { status: 403, message: 'signature does not verify' };
    }
    // The signature vouches for the batch as one app's: events naming another app's deliveries are ignored.
    let applied = 0;
    for (const e of events) {
      if (!e.deliveryId || !e.heraldEvent) continue;
      const d = e.deliveryId === firstDelivery.id ? firstDelivery : await this.settled({ id: e.deliveryId, provider: 'sendgrid' }, deadline);
      if (!d || d.app_id !== firstDelivery.app_id) continue;
      await this.apply(d, e.heraldEvent, { provider: 'sendgrid', event: e.event, sg_event_id: e.sgEventId, reason: e.reason, url: e.url });
      applied++;
    }
    return { status: 200, message: 'ok', applied };
  }
}
