/**
 * Outbound event webhooks. The events table is the outbox: each webhook keeps a cursor (the last event
 * position it has delivered) and a dispatcher reads the app's events after it, so nothing is written
 * twice and a restart resumes where the cursor stands.
 *
 * Glossary: a webhook's *position* is `(txid, id)` on PostgreSQL — ids are taken from a sequence before
 * their transaction commits, so a later id can be visible while an earlier one is still in flight; events
 * are read in (writing transaction, id) order and only from transactions older than every one still
 * running — and the plain event id on SQLite, where one writer at a time makes id order commit order.
 */

export interface WebhooksRow {
  /** Herald's own key for this webhook incarnation (deleting and re-creating gives a new one). */
  uid: string;
  app_id: string;
  /** The app's name for it. */
  id: string;
  url: string;
  /** JSON array of event types or patterns (`*`, `alert.*`). */
  events: string;
  /** The signing secret, sealed with the SecretBox bound to `{app_id}/webhook/{id}`. */
  secret_enc: string;
  enabled: number;
  /** The last event delivered (or skipped as not matching). */
  cursor_id: number;
  /** PostgreSQL: the writing transaction of that event (xid8 as text); null on SQLite. */
  cursor_txid: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  /** After a failed POST: not before then. */
  next_attempt_at: number | null;
  /** Failed POSTs in a row; drives the backoff. */
  failures: number;
  last_error: string | null;
  last_attempt_at: number | null;
  last_success_at: number | null;
  created_at: number;
  updated_at: number;
}

/** One POST attempt, the webhook's delivery log. */
export interface WebhookAttemptsRow {
  id: string;
  webhook_uid: string;
  app_id: string;
  at: number;
  /** The receiver's HTTP status; null when there was no answer (refused, timed out, not allowed). */
  status_code: number | null;
  error: string | null;
  ok: number;
  batch_size: number;
  duration_ms: number;
  first_event_id: number | null;
  last_event_id: number | null;
}

/** Where a webhook stands in its app's event stream. */
export interface EventPosition {
  id: number;
  txid: string | null;
}

/** An event with what is cheap to join from its delivery. */
export interface OutboxEvent extends EventPosition {
  type: string;
  at: number;
  notification_id: string;
  delivery_id: string | null;
  data: string | null;
  channel: string | null;
  provider: string | null;
  status: string | null;
}

export type WebhookConfig = Pick<WebhooksRow, 'app_id' | 'id' | 'url' | 'events' | 'secret_enc' | 'enabled'>;

export interface WebhookStore {
  /**
   * Creates the webhook with its cursor at the end of the log (it receives what happens from now on), or
   * updates its configuration; an update keeps the cursor and the log, and clears a pending backoff so
   * a fixed URL is tried at once.
   */
  put(config: WebhookConfig, now: number): Promise<{ row: WebhooksRow; created: boolean }>;
  get(appId: string, id: string): Promise<WebhooksRow | undefined>;
  list(appId: string): Promise<WebhooksRow[]>;
  /** Deletes the webhook and its log. */
  remove(appId: string, id: string): Promise<boolean>;

  /** Enabled webhooks with events after their cursor, not backing off and not held, leased to `owner`. */
  claim(now: number, leaseMs: number, owner: string, limit: number): Promise<WebhooksRow[]>;
  /** The app's events after `after`, in position order. */
  eventsAfter(appId: string, after: EventPosition, limit: number): Promise<OutboxEvent[]>;
  /**
   * Moves the cursor (and renews the lease) while `owner` holds it; false when the lease was taken over.
   * `delivered`: a POST succeeded (resets the failure count), rather than events skipped by the filter.
   */
  advance(uid: string, owner: string, to: EventPosition, opts: { delivered: boolean; now: number; leaseUntil: number }): Promise<boolean>;
  /** A failed POST: the cursor stays, the lease is released and the next attempt waits. */
  failed(uid: string, owner: string, opts: { failures: number; nextAttemptAt: number; error: string; now: number }): Promise<void>;
  release(uid: string, owner: string): Promise<void>;

  logAttempt(row: WebhookAttemptsRow): Promise<void>;
  /** Drops all but the newest `keep` log entries of the webhook. */
  pruneAttempts(webhookUid: string, keep: number): Promise<void>;
  /** Newest first; `before` is the previous page's last id. */
  attempts(webhookUid: string, limit: number, before?: string): Promise<WebhookAttemptsRow[]>;
}
