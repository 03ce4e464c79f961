import { randomUUID } from 'node:crypto';
import { DeliveryError } from '../../domain/delivery-error.js';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../ports/channel-adapter.js';
import type { SandboxOutbox } from './sandbox-outbox.js';

/**
 * In sandbox mode, in front of each real adapter (which talks to its local emulator):
 * - test recipients answer with each failure class, the way providers' test numbers do
 *   (README "Sandbox test recipients"): `bounce…` / token ending `deaddead` / +15005550001 → invalid
 *   recipient, `reject…` → permanent, `down…` → always transient, `flaky…` → transient twice,
 *   `ratelimit…` → one 429 with Retry-After 1 s;
 * - a web subscription from a real browser push service cannot reach the emulator (it cannot
 *   decrypt for keys it did not make), so it is recorded without a network call;
 * - everything the provider accepted is recorded in the sandbox outbox for the API and dashboard.
 */
export class SandboxRules implements ChannelAdapter {
  readonly name;
  readonly channel;

  constructor(
    private readonly inner: ChannelAdapter,
    private readonly outbox: SandboxOutbox,
    private readonly webPushOrigin?: string,
  ) {
    this.name = inner.name;
    this.channel = inner.channel;
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    this.testRecipient(msg);
    let result: SendResult;
    if (msg.platform === 'web' && this.webPushOrigin && !this.onSandboxPush(msg)) {
      result = { providerMessageId: `sandbox-${randomUUID()}` };
    } else {
      result = await this.inner.send(msg);
    }
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
      providerMessageId: result.providerMessageId ?? '',
    });
    return result;
  }

  /**
   * The sandbox's adapters connect without the outbound guard (their providers are the operator's
   * emulators), so only a subscription on exactly the emulator's origin may reach the network: a
   * prefix test would let `https://127.0.0.1:4431` pass for `https://127.0.0.1:44310/…`.
   */
  private onSandboxPush(msg: OutboundMessage): boolean {
    try {
      return new URL(msg.subscription?.endpoint ?? msg.to).origin === new URL(this.webPushOrigin!).origin;
    } catch {
      return false;
    }
  }

  private testRecipient(msg: OutboundMessage): void {
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
  }

  check(msg: OutboundMessage): string | undefined {
    return this.inner.check?.(msg);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
