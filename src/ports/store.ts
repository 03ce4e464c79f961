import type { Channel } from '../domain/delivery.js';
import type {
  AppsRow,
  DeliveriesRow,
  DevicesRow,
  EventsRow,
  NotificationsRow,
  ProvidersRow,
  TemplatesRow,
  UsersRow,
} from './store-rows.js';

export type * from './store-rows.js';

/** An event about to be written; `id` is assigned by the store. */
export type NewEvent = Omit<EventsRow, 'id'>;

/** Everything one accepted notification writes, in one transaction. */
export interface NotificationBundle {
  notification: NotificationsRow;
  deliveries: DeliveriesRow[];
  events: NewEvent[];
}

/** The result of one provider attempt (or of a decision not to attempt), recorded by the worker. */
export interface DeliveryOutcome {
  id: string;
  status: 'sent' | 'failed' | 'expired' | 'queued' | 'cancelled';
  provider: string;
  attempts: number;
  providerMessageId?: string | null;
  reason?: string | null;
  lastError?: string | null;
  /** Retries: when the next attempt may run. */
  runAt?: number;
  events: NewEvent[];
}

export interface NotificationFilter {
  userId?: string;
  status?: string;
  template?: string;
  since?: number;
  /** Exclusive upper bound on the notification id (the previous page's last id). */
  before?: string;
  limit: number;
}

export interface DeliveryWithEvents extends DeliveriesRow {
  events: EventsRow[];
}

/** Per channel, what the embedded queue holds; read from the log itself so every process sees the same. */
export interface ChannelQueueStats {
  channel: Channel;
  depth: number;
  oldest_age_ms: number;
  in_flight: number;
  scheduled: number;
  dead: number;
}

/**
 * The notification log. It speaks the domain; SQL stays behind it. Every method that takes an
 * appId scopes by it, so one app never reaches another's rows.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  apps: {
    insert(app: AppsRow): Promise<void>;
    findByKey(key: string): Promise<AppsRow | undefined>;
    /** Make sure an app with exactly this key and secret hash exists (HERALD_BOOTSTRAP_*). */
    ensure(app: AppsRow): Promise<void>;
    count(): Promise<number>;
  };

  users: {
    upsert(user: UsersRow): Promise<UsersRow>;
    get(appId: string, id: string): Promise<UsersRow | undefined>;
    getMany(appId: string, ids: string[]): Promise<UsersRow[]>;
    setPreferences(appId: string, id: string, preferences: string, now: number): Promise<boolean>;
    /** Delete the user, devices and subscriptions, and blank their addresses and content in the log. */
    erase(appId: string, id: string): Promise<boolean>;
  };

  devices: {
    /** Idempotent per (app, platform, token): re-registering reactivates and may move the device to this user. */
    register(device: DevicesRow): Promise<DevicesRow>;
    listForUser(appId: string, userId: string): Promise<DevicesRow[]>;
    activeForUsers(appId: string, userIds: string[]): Promise<DevicesRow[]>;
    remove(appId: string, userId: string, deviceId: string): Promise<boolean>;
    deactivate(id: string, reason: string, now: number): Promise<void>;
  };

  templates: {
    /** Writes the next version and returns it. */
    put(t: Omit<TemplatesRow, 'version' | 'deleted'>): Promise<TemplatesRow>;
    latest(appId: string, key: string): Promise<TemplatesRow | undefined>;
    latestMany(appId: string, keys: string[]): Promise<TemplatesRow[]>;
    versions(appId: string, key: string): Promise<TemplatesRow[]>;
    remove(appId: string, key: string): Promise<boolean>;
  };

  notifications: {
    findByIdempotencyKeys(appId: string, keys: string[]): Promise<NotificationsRow[]>;
    /** All bundles in one transaction; throws IdempotencyRace when a key was taken meanwhile. */
    insert(bundles: NotificationBundle[]): Promise<void>;
    get(appId: string, id: string): Promise<{ notification: NotificationsRow; deliveries: DeliveryWithEvents[] } | undefined>;
    list(appId: string, filter: NotificationFilter): Promise<NotificationsRow[]>;
    /** Cancels the deliveries not yet sent; returns how many. */
    cancel(appId: string, id: string, now: number): Promise<number | undefined>;
  };

  deliveries: {
    /** Claimed deliveries still worth sending (status queued/scheduled), with content. */
    loadForSend(ids: string[]): Promise<DeliveriesRow[]>;
    recordOutcomes(outcomes: DeliveryOutcome[], now: number): Promise<void>;
    listDead(appId: string, limit: number, before?: string): Promise<DeliveriesRow[]>;
    /** A dead letter back to the queue with a fresh attempt budget. */
    requeue(appId: string, id: string, now: number): Promise<DeliveriesRow | undefined>;
    /** A delivery named by a provider's receipt: by our id, or by the provider's message id. */
    findForReceipt(by: { id?: string; provider: string; providerMessageId?: string }): Promise<DeliveriesRow | undefined>;
    /** A receipt's event, and its status change when the delivery is still `sent` (receipts may arrive out of order). */
    applyReceipt(d: DeliveriesRow, change: { status?: 'delivered' | 'failed'; reason?: string; event: NewEvent }, now: number): Promise<void>;
  };

  providers: {
    upsert(row: ProvidersRow): Promise<void>;
    /** The app's providers, lowest priority number first. */
    list(appId: string): Promise<ProvidersRow[]>;
    remove(appId: string, name: string): Promise<boolean>;
    /** Across all apps: whether anything is configured (decides the default sandbox mode). */
    count(): Promise<number>;
  };

  /** The embedded queue's table operations (the queue lives in the log's deliveries rows). */
  queueTable: {
    claim(channel: Channel, limit: number, now: number, leaseMs: number): Promise<string[]>;
    stats(now: number): Promise<ChannelQueueStats[]>;
    nextRunAt(channel: Channel): Promise<number | undefined>;
  };
}

/** Thrown by notifications.insert when another request committed the same idempotency key first. */
export class IdempotencyRace extends Error {
  constructor() {
    super('idempotency key taken concurrently');
  }
}
