import type { Channel } from '../domain/delivery.js';
import type { CapClaim } from '../domain/frequency-caps.js';
import type { AnalyticsCounts, AnalyticsQuery } from '../domain/analytics.js';
import type {
  AppsRow,
  DeliveriesRow,
  DevicesRow,
  EventsRow,
  FanoutsRow,
  NotificationsRow,
  ProvidersRow,
  AlertsRow,
  SchedulesRow,
  TemplatesRow,
  TopicSubscriptionsRow,
  UsersRow,
} from './store-rows.js';
import type { WebhookStore } from './webhook-store.js';

export type * from './store-rows.js';

/** An event about to be written; `id` is assigned by the store. */
export type NewEvent = Omit<EventsRow, 'id'>;

/** Everything one accepted notification writes, in one transaction. */
export interface NotificationBundle {
  notification: NotificationsRow;
  deliveries: DeliveriesRow[];
  events: NewEvent[];
  /** Frequency-cap claims, decided in the insert's transaction: deliveries over their cap are written `suppressed`/`rate_limited`. */
  caps?: CapClaim[];
  /** The idempotent-replay body once the caps are decided; replaces notification.response when given. */
  responseFor?(overCap: ReadonlySet<string>): string | null;
  /** A topic send: its fan-out record, written with the notification. */
  fanout?: FanoutsRow;
}

/** One page of a fan-out, committed with the cursor move in one transaction. */
export interface FanoutPage {
  fanoutId: string;
  /** The claim's token: a page from a holder whose lease was taken over is refused (FanoutLeaseLost). */
  owner: string;
  /** The last user id of the page. */
  cursor: string | null;
  users: number;
  /** Subscribers of the page whose content could not be made. */
  skipped: number;
  done: boolean;
  deliveries: DeliveriesRow[];
  events: NewEvent[];
  caps: CapClaim[];
  now: number;
  leaseUntil: number;
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

/** An open or click counted: how many so far, and whether this one wrote the event. */
export interface TrackingCount {
  count: number;
  first: boolean;
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

/** One page of the sweeper's walk over the open deliveries of a channel and priority. */
export interface OpenDueQuery {
  channel: Channel;
  priorityRank: number;
  before: number;
  /** The previous page's last row: the walk goes on after it. */
  after?: OpenDue;
  limit: number;
}

/** Where the retention job's walk over an app's old rows (in created_at, id order) stopped. */
export interface PruneCursor {
  created_at: number;
  id: string;
}

export interface PruneBatch {
  deleted: number;
  /** Null when the walk is done. */
  next: PruneCursor | null;
}

export interface OpenDue {
  id: string;
  run_at: number;
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
    findById(id: string): Promise<AppsRow | undefined>;
    /**
     * Make sure an app with exactly this key and secret hash exists (HERALD_BOOTSTRAP_*). An existing app
     * whose secret hash differs takes the new one and counts one more secret_generation.
     */
    ensure(app: AppsRow): Promise<void>;
    count(): Promise<number>;
    /** The app's settings JSON; undefined when no such app. */
    getSettings(appId: string): Promise<string | undefined>;
    /** Replaces the named top-level sections (null removes one) atomically; returns the new JSON. */
    updateSettings(appId: string, sections: Record<string, unknown>): Promise<string | undefined>;
  };

  users: {
    upsert(user: UsersRow): Promise<UsersRow>;
    /** Changes an existing user's fields (not created_at or preferences); undefined when there is no such user (erased meanwhile). */
    update(user: UsersRow): Promise<UsersRow | undefined>;
    get(appId: string, id: string): Promise<UsersRow | undefined>;
    getMany(appId: string, ids: string[]): Promise<UsersRow[]>;
    /** The dashboard's user list: ids starting with `prefix` (all when empty), in id order after `after`. */
    list(appId: string, q: { prefix?: string; after?: string; limit: number }): Promise<UsersRow[]>;
    /** Bulk import: users whose id exists are left as they are. */
    insertMany(users: UsersRow[]): Promise<void>;
    setPreferences(appId: string, id: string, preferences: string, now: number): Promise<boolean>;
    /**
     * The user row's incarnation (what its user tokens are bound to): `fresh` becomes it when the row has
     * none yet; undefined when there is no such user.
     */
    incarnation(appId: string, id: string, fresh: string): Promise<string | undefined>;
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
    /** The dashboard's template list: the latest version of each live template, in key order after `after`. */
    list(appId: string, q: { after?: string; limit: number }): Promise<TemplatesRow[]>;
    versions(appId: string, key: string): Promise<TemplatesRow[]>;
    remove(appId: string, key: string): Promise<boolean>;
  };

  notifications: {
    findByIdempotencyKeys(appId: string, keys: string[]): Promise<NotificationsRow[]>;
    /**
     * All bundles in one transaction; throws IdempotencyRace when a key was taken meanwhile.
     * Returns the deliveries that went over a frequency cap (written suppressed).
     */
    insert(bundles: NotificationBundle[]): Promise<ReadonlySet<string>>;
    /** `deliveryLimit`: only the first deliveries by id (a topic's fan-out may have millions). */
    get(appId: string, id: string, opts?: { deliveryLimit?: number }): Promise<{ notification: NotificationsRow; deliveries: DeliveryWithEvents[] } | undefined>;
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
  };

  /**
   * Email engagement from the tracking links (SPEC §6). Opens and clicks are counted on the delivery
   * and only the first of each writes its event, decided by the counter's new value in the same
   * transaction, so concurrent requests cannot both write it.
   */
  tracking: {
    /** Undefined when no such delivery. */
    recordOpen(deliveryId: string, now: number): Promise<TrackingCount | undefined>;
    recordClick(deliveryId: string, url: string, now: number): Promise<TrackingCount | undefined>;
    /** The delivery's `unsubscribed` event, unless it has one already; false when the app has no such delivery. */
    recordUnsubscribe(appId: string, deliveryId: string, data: Record<string, unknown>, now: number): Promise<boolean>;
  };

  alerts: {
    /** Moves the alert to raised and writes its event, unless it is raised already (then only its value). */
    raise(a: { app_id: string; key: string; value: number; threshold: number; at: number }, event: NewEvent): Promise<boolean>;
    /** Moves a raised alert to resolved and writes its event; false when it was not raised. */
    resolve(a: { app_id: string; key: string; value: number; at: number }, event: NewEvent): Promise<boolean>;
    open(appId: string): Promise<AlertsRow[]>;
    /** Deliveries of the app that failed for good since then. */
    deadSince(appId: string, since: number): Promise<number>;
    appsWithAlertSettings(): Promise<{ id: string; settings: string }[]>;
  };

  schedules: {
    insert(row: SchedulesRow): Promise<void>;
    get(appId: string, id: string): Promise<SchedulesRow | undefined>;
    list(appId: string): Promise<SchedulesRow[]>;
    setStatus(appId: string, id: string, status: 'active' | 'paused', nextRunAt: number | null, now: number): Promise<boolean>;
    remove(appId: string, id: string): Promise<boolean>;
    /** Active schedules whose time has come, leased so one scheduler fires each (SKIP LOCKED on PostgreSQL). */
    claimDue(now: number, leaseMs: number, limit: number): Promise<SchedulesRow[]>;
    fired(id: string, ranAt: number, nextRunAt: number | null, error: string | null, now: number): Promise<void>;
  };

  topics: {
    /** Idempotent; true when the subscription is new. */
    subscribe(row: TopicSubscriptionsRow): Promise<boolean>;
    unsubscribe(appId: string, userId: string, topic: string): Promise<boolean>;
    listForUser(appId: string, userId: string): Promise<TopicSubscriptionsRow[]>;
    /** Subscriber ids in id order after `afterUserId`: the fan-out's pages. */
    subscribersAfter(appId: string, topic: string, afterUserId: string | null, limit: number): Promise<string[]>;
    /** Bulk import; existing subscriptions are kept. */
    subscribeMany(rows: TopicSubscriptionsRow[]): Promise<void>;
  };

  fanouts: {
    get(appId: string, id: string): Promise<FanoutsRow | undefined>;
    /** One running fan-out nobody holds (or whose holder's lease ran out), leased to `owner`. */
    claim(now: number, leaseMs: number, owner: string): Promise<FanoutsRow | undefined>;
    /** Writes the page's deliveries (caps decided as in notifications.insert) and moves the cursor; returns the deliveries over a cap. */
    commitPage(page: FanoutPage): Promise<ReadonlySet<string>>;
    /** A holder stopping cleanly hands the fan-out back at once instead of at its lease's end. */
    release(id: string, owner: string): Promise<void>;
    /** Stops a running fan-out; false when there is none running. */
    cancel(appId: string, id: string, now: number): Promise<boolean>;
    /** The notification's deliveries per status (what GET shows for a fan-out instead of every row). */
    statusCounts(notificationId: string): Promise<Record<string, number>>;
  };

  capCounters: {
    /** Drops counters whose window has ended: they can no longer cap anything. */
    prune(now: number): Promise<number>;
  };

  /**
   * What a queue kept outside the log (BullMQ on Redis) reads from the log: the open deliveries whose
   * time has come, so the sweeper can re-publish those Redis lost; which claimed ids are still open;
   * and the dead letters per channel for its stats.
   */
  sweep: {
    /** Open (queued/scheduled) deliveries of one channel and priority with run_at <= before, in (run_at, id) order after `after`. */
    openDue(q: OpenDueQuery): Promise<OpenDue[]>;
    /** The ids among these whose delivery is still open. */
    /** The ids among these whose delivery is still open (and, with `appId`, the app's). */
    openAmong(ids: string[], appId?: string): Promise<string[]>;
    deadByChannel(): Promise<Partial<Record<Channel, number>>>;
  };

  /** `GET /v1/analytics`: the app's deliveries created in [since, until), counted per group in the database. */
  analytics: {
    counts(appId: string, q: AnalyticsQuery): Promise<AnalyticsCounts[]>;
    /** The app's deliveries whose attempt ended for now (sent, failed, expired) with `after < at <= upTo`, per channel. */
    finishedByChannel(appId: string, after: number, upTo: number): Promise<Record<Channel, number>>;
  };

  /** The retention job's batched deletes; each call removes at most `limit` rows. */
  retention: {
    /** Apps (id and settings JSON) in id order after `afterId`. */
    appsAfter(afterId: string | null, limit: number): Promise<{ id: string; settings: string }[]>;
    /** The app's oldest events with `at` before `before`; returns how many were deleted. */
    pruneEvents(appId: string, before: number, limit: number): Promise<number>;
    /** One page of the app's deliveries created before `before`, after the cursor: the terminal ones are deleted. */
    pruneDeliveries(appId: string, before: number, after: PruneCursor | null, limit: number): Promise<PruneBatch>;
    /** One page of the app's notifications created before `before`: those with no delivery left and no running fan-out are deleted. */
    pruneNotifications(appId: string, before: number, after: PruneCursor | null, limit: number): Promise<PruneBatch>;
  };

  /** Named leases: at most one holder at a time across all processes (periodic jobs such as retention). */
  jobLeases: {
    /** Takes the lease until `until` when nobody holds it at `now`; false when someone does. */
    claim(name: string, owner: string, now: number, until: number): Promise<boolean>;
    /** Moves the lease's end while `owner` still holds it; false when it was taken over. */
    extend(name: string, owner: string, until: number): Promise<boolean>;
  };

  /** Outbound event webhooks: configuration, cursors over the events table, and the POST log (ports/webhook-store.ts). */
  webhooks: WebhookStore;

  /** The embedded queue's table operations (the queue lives in the log's deliveries rows). */
  queueTable: {
    claim(channel: Channel, limit: number, now: number, leaseMs: number): Promise<string[]>;
    /** These open deliveries are taken up after a lease that ran out (BullMQ's stalled jobs): see migration 011. */
    markRelet(ids: string[]): Promise<void>;
    /** A fresh lease until `until` for these, where a lease is held and the delivery still open. */
    extend(ids: string[], until: number): Promise<void>;
    /** Per channel, one app's deliveries (an app sees only its own: SPEC §11); every app's without `appId` (the operator's /metrics). */
    stats(now: number, appId?: string): Promise<ChannelQueueStats[]>;
    /** The earliest run_at of an open delivery of the channel that no live lease holds (idle workers sleep until then). */
    nextRunAt(channel: Channel, now: number): Promise<number | undefined>;
  };
}

/** Thrown by notifications.insert when another request committed the same idempotency key first. */
export class IdempotencyRace extends Error {
  constructor() {
    super('idempotency key taken concurrently');
  }
}

/** Thrown by fanouts.commitPage when the fan-out was taken over (lease expired) or cancelled meanwhile. */
export class FanoutLeaseLost extends Error {
  constructor() {
    super('fan-out lease lost');
  }
}
