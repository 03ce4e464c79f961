import type { Channel, ProviderName } from '../domain/delivery.js';
import type { ChannelAdapter } from './channel-adapter.js';

/**
 * Which providers serve an app's channel, in the order they are tried (failover), and their adapters.
 * Push is served by the platform's provider; SMS and email by the configured providers' priority.
 */
export interface ProviderDirectory {
  /** Providers for a non-push channel in failover order; empty when none is configured. */
  order(appId: string, channel: Exclude<Channel, 'push'>): Promise<ProviderName[]>;
  adapter(appId: string, provider: ProviderName): Promise<ChannelAdapter | undefined>;
  /** Whether the provider is in a state to take traffic (circuit closed or half-open). */
  available(appId: string, provider: ProviderName): boolean;
  /** Tell the breaker about an outcome. */
  report(appId: string, provider: ProviderName, ok: boolean): void;
  close(): Promise<void>;
}
