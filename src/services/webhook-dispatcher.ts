import type { Logger } from 'pino';
import { newId } from '../domain/ids.js';
import { backoffMs } from '../domain/retry-policy.js';
import { eventMatcher, type WebhookEvent } from '../domain/webhook-events.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';
import type { EventPosition, OutboxEvent, WebhooksRow } from '../ports/webhook-store.js';
import type { SecretBox } from './secret-box.js';
import { signWebhook } from './webhook-signature.js';
import { postWebhook, type PostOutcome } from './webhook-sender.js';

export interface WebhookDispatchOptions {
  /** One POST, connect to last byte of the answer. */
  timeoutMs: number;
  /** How long a claim holds a webhook; renewed at every batch, and longer than one POST, so two processes never send at once. */
  leaseMs: number;
  /** Events per POST at most. */
  batchSize: number;
  /** Events read per query; those the webhook does not want are stepped over. */
  scanSize: number;
  /** The outbound guard: receivers are tenant-given URLs (SPEC §11). */
  outbound: OutboundGuard;
  /** Backoff after failed POSTs: baseMs × 2ⁿ with equal jitter, at most capMs. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Log entries kept per webhook. */
  keepAttempts: number;
}

export interface WebhookLease {
  row: WebhooksRow;
  owner: string;
}

/** The associated data the secret is sealed with: a sealed secret copied to another app or webhook does not open. */
export const webhookSecretAad = (appId: string, id: string): string => `${appId}/webhook/${id}`;

/** How often (in attempts per webhook and process) the log is trimmed to `keepAttempts`. */
const PRUNE_EVERY = 50;
const MAX_ERROR_CHARS = 500;

/**
 * Outbound webhooks, with the events table as the outbox. A claimed webhook's events after its cursor
 * are read in order, filtered by its types, POSTed as signed JSON batches, and the cursor moves only
 * after a 2xx: at least once and in order per notification, across crashes (a batch whose answer was
 * lost is sent again). A failure backs the webhook off on its own row, so it never holds up another
 * webhook, and it runs in its own loop (worker/webhook-worker.ts), so it never slows sending.
 */
export class WebhookDispatcher {
  private readonly sinceLastPrune = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: WebhookDispatchOptions,
  ) {}

  async claim(limit: number): Promise<WebhookLease[]> {
    const owner = newId();
    const rows = await this.store.webhooks.claim(this.clock.now(), this.opts.leaseMs, owner, limit);
    return rows.map((row) => ({ row, owner }));
  }

  /** Sends the webhook's pending events until none is left, a POST fails, the lease is lost or `signal` stops it. */
  async run({ row, owner }: WebhookLease, signal: AbortSignal): Promise<void> {
    let secret: string;
    try {
      secret = this.box.open(row.secret_enc, webhookSecretAad(row.app_id, row.id));
    } catch {
      // HERALD_SECRET_KEY changed: nothing can be signed until the webhook is PUT again with its secret.
      await this.fail(row, owner, 'the secret cannot be decrypted (HERALD_SECRET_KEY changed?); PUT the webhook again');
      return;
    }
    const wanted = eventMatcher(JSON.parse(row.events) as string[]);
    const url = new URL(row.url);
    let at: EventPosition = { id: row.cursor_id, txid: row.cursor_txid };
    while (!signal.aborted) {
      const scanned = await this.store.webhooks.eventsAfter(row.app_id, at, this.opts.scanSize);
      if (scanned.length === 0) break;
      const batch: OutboxEvent[] = [];
      let upto = at;
      for (const e of scanned) {
        if (wanted(e.type)) {
          if (batch.length === this.opts.batchSize) break;
          batch.push(e);
        }
        upto = { id: e.id, txid: e.txid };
      }
      if (batch.length > 0) {
        const outcome = await this.post(row, url, secret, batch, signal);
        // Stopping is not the receiver's fault: no log entry, no backoff; the batch goes again after a restart.
        if (signal.aborted && outcome.error) break;
        await this.record(row, batch, outcome);
        if (outcome.error) return this.fail(row, owner, outcome.error);
      }
      const now = this.clock.now();
      const held = await this.store.webhooks.advance(row.uid, owner, upto, { delivered: batch.length > 0, now, leaseUntil: now + this.opts.leaseMs });
      if (!held) return; // taken over after our lease ran out: the new holder goes on from the cursor
      at = upto;
      row.failures = 0;
    }
    await this.store.webhooks.release(row.uid, owner);
  }

  private post(row: WebhooksRow, url: URL, secret: string, batch: OutboxEvent[], signal: AbortSignal): Promise<PostOutcome> {
    const body = JSON.stringify({ events: batch.map(present) });
    const t = Math.floor(this.clock.now() / 1000);
    const headers = { 'herald-signature': signWebhook(secret, body, t), 'herald-webhook-id': row.id };
    return postWebhook(url, body, headers, { timeoutMs: this.opts.timeoutMs, guard: this.opts.outbound, signal });
  }

  private async record(row: WebhooksRow, batch: OutboxEvent[], o: PostOutcome): Promise<void> {
    const now = this.clock.now();
    await this.store.webhooks.logAttempt({
      id: newId(),
      webhook_uid: row.uid,
      app_id: row.app_id,
      at: now - o.durationMs,
      status_code: o.status ?? null,
      error: o.error ? o.error.slice(0, MAX_ERROR_CHARS) : null,
      ok: o.error ? 0 : 1,
      batch_size: batch.length,
      duration_ms: o.durationMs,
      first_event_id: batch[0].id,
      last_event_id: batch[batch.length - 1].id,
    });
    const n = (this.sinceLastPrune.get(row.uid) ?? 0) + 1;
    this.sinceLastPrune.set(row.uid, n % PRUNE_EVERY);
    if (n >= PRUNE_EVERY) await this.store.webhooks.pruneAttempts(row.uid, this.opts.keepAttempts);
  }

  private async fail(row: WebhooksRow, owner: string, error: string): Promise<void> {
    const failures = row.failures + 1;
    const delay = backoffMs({ baseMs: this.opts.retryBaseMs, capMs: this.opts.retryCapMs, maxAttempts: Number.MAX_SAFE_INTEGER }, failures);
    const now = this.clock.now();
    this.log.warn({ webhook: row.id, app_id: row.app_id, failures, retry_in_ms: delay, error }, 'webhook POST failed');
    await this.store.webhooks.failed(row.uid, owner, { failures, nextAttemptAt: now + delay, error: error.slice(0, MAX_ERROR_CHARS), now });
  }
}

function present(e: OutboxEvent): WebhookEvent {
  return {
    id: e.id,
    type: e.type,
    at: new Date(e.at).toISOString(),
    notification_id: e.notification_id,
    delivery_id: e.delivery_id,
    channel: e.channel,
    provider: e.provider,
    status: e.status,
    data: parseData(e.data),
  };
}

/** Event data is JSON text; anything else (written by hand, say) goes out as the string it is. */
function parseData(data: string | null): unknown {
  if (data === null) return null;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
