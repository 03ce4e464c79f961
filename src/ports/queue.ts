import type { Channel, Priority } from '../domain/delivery.js';
import type { ChannelQueueStats } from './store.js';

export interface QueueItem {
  deliveryId: string;
  channel: Channel;
  priority: Priority;
  runAt: number;
}

/**
 * Carries delivery ids per channel and priority, with delays and leases. The Store stays the log:
 * a Queue may lose what it holds (Redis flushed) and the sweeper puts it back from the log.
 * - publish: after the Store committed new deliveries (or a retry's next run_at).
 * - claim: take up to `limit` due ids of a channel, high priority first, leased for HERALD_LEASE_MS.
 * - ack: the worker recorded a terminal outcome; the lease may be dropped.
 * - extend: the worker still holds these (a provider still answering, an outcome being committed):
 *   their leases start again, so no other worker takes them up.
 */
export interface Queue {
  publish(items: QueueItem[]): Promise<void>;
  claim(channel: Channel, limit: number): Promise<string[]>;
  ack(channel: Channel, deliveryIds: string[]): Promise<void>;
  extend(channel: Channel, deliveryIds: string[]): Promise<void>;
  /** Per channel; one app's deliveries with `appId` (what an app may see: SPEC §11), every app's without (the operator's /metrics). */
  stats(appId?: string): Promise<ChannelQueueStats[]>;
  /**
   * Resolves when work may be available for the channel (true), or after `maxWaitMs` with nothing due
   * (false: the caller need not claim, which is what keeps an idle worker from calling Redis at all).
   */
  waitForWork(channel: Channel, maxWaitMs: number): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
