import { randomUUID } from 'node:crypto';
import { DeliveryError } from '../../domain/delivery-error.js';
import type { Channel, ProviderName } from '../../domain/delivery.js';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../ports/channel-adapter.js';
import type { SandboxOutbox } from './sandbox-outbox.js';

/**
 * A provider that records instead of sending. Test recipients trigger each failure class, the way
 * providers' own test numbers do (documented in README "Sandbox test recipients"):
 * - email local part `bounce…` / push token ending `deaddead` / phone +15005550001 → invalid recipient
 * - `reject…` → permanent failure; `down…` → always a transient failure (ends in the dead letters)
 * - `flaky…` → transient failure on the first two attempts; `ratelimit…` → 429 with Retry-After 1 s once
 */
export class SandboxAdapter implements ChannelAdapter {
  constructor(
    readonly name: ProviderName,
    readonly channel: Channel,
    private readonly outbox: SandboxOutbox,
  ) {}

  async send(msg: OutboundMessage): Promise<SendResult> {
    const tag = (msg.channel === 'email' ? msg.to.split('@')[0] : msg.to).toLowerCase();
    if (tag.startsWith('bounce') || tag.endsWith('deaddead') || msg.to === '+15005550001') {
      throw new DeliveryError('invalid_recipient', 'sandbox: recipient does not exist', { providerCode: 'sandbox_invalid_recipient', status: 400 });
    }
    if (tag.startsWith('reject')) throw new DeliveryError('permanent', 'sandbox: rejected', { providerCode: 'sandbox_rejected', status: 400 });
    if (tag.startsWith('down')) throw new DeliveryError('retryable', 'sandbox: provider unavailable', { providerCode: 'sandbox_unavailable', status: 503 });
    if (tag.startsWith('flaky') || tag.startsWith('ratelimit')) {
      const n = (this.outbox.attempts.get(msg.deliveryId) ?? 0) + 1;
      this.outbox.attempts.set(msg.deliveryId, n);
      if (tag.startsWith('flaky') && n <= 2) throw new DeliveryError('retryable', 'sandbox: flaky', { providerCode: 'sandbox_flaky', status: 503 });
      if (tag.startsWith('ratelimit') && n <= 1) throw new DeliveryError('rate_limited', 'sandbox: rate limited', { providerCode: 'sandbox_429', status: 429, retryAfterMs: 1000 });
      this.outbox.attempts.delete(msg.deliveryId);
    }
    const providerMessageId = `sandbox-${randomUUID()}`;
    this.outbox.record({
      at: new Date().toISOString(),
      provider: this.name,
      appId: msg.appId,
      deliveryId: msg.deliveryId,
      channel: msg.channel,
      platform: msg.platform,
      to: msg.to,
      push: msg.push,
      sms: msg.sms,
      email: msg.email,
      providerMessageId,
    });
    return { providerMessageId };
  }

  async close(): Promise<void> {}
}
