import { CHANNEL_PROVIDERS, type Channel, type ProviderName } from '../domain/delivery.js';
import type { ChannelAdapter } from '../ports/channel-adapter.js';
import type { ProviderDirectory } from '../ports/provider-directory.js';
import { SandboxAdapter } from '../channels/sandbox/sandbox-adapter.js';
import type { SandboxOutbox } from '../channels/sandbox/sandbox-outbox.js';

/** Sandbox mode: every provider of every app is a recorder; SMS tries Twilio then Vonage, email SendGrid then SMTP. */
export class SandboxDirectory implements ProviderDirectory {
  private adapters = new Map<ProviderName, ChannelAdapter>();

  constructor(outbox: SandboxOutbox) {
    for (const [channel, names] of Object.entries(CHANNEL_PROVIDERS) as [Channel, ProviderName[]][]) {
      for (const name of names) this.adapters.set(name, new SandboxAdapter(name, channel, outbox));
    }
  }

  async order(_appId: string, channel: Exclude<Channel, 'push'>): Promise<ProviderName[]> {
    return CHANNEL_PROVIDERS[channel];
  }

  async adapter(_appId: string, provider: ProviderName): Promise<ChannelAdapter | undefined> {
    return this.adapters.get(provider);
  }

  available(): boolean {
    return true;
  }

  report(): void {}

  async close(): Promise<void> {}
}
