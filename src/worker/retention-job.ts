import type { Logger } from 'pino';
import { newId } from '../domain/ids.js';
import { DAY_MS } from '../domain/analytics.js';
import { effectiveRetention, parseAppSettings } from '../domain/app-settings.js';
import type { Clock } from '../ports/clock.js';
import type { PruneBatch, PruneCursor, Store } from '../ports/store.js';
import { BackgroundLoop } from './background-loop.js';

export interface RetentionJobOptions {
  /** How often a pass runs, across all processes: the lease row carries the next due time. */
  everyMs: number;
  /** How long a pass may go without finishing a batch before another process takes it over. */
  leaseMs: number;
  /** Rows per DELETE. */
  batchSize: number;
  /** How often a process looks whether a pass is due. */
  pollMs: number;
}

export interface RetentionPass {
  apps: number;
  events: number;
  deliveries: number;
  notifications: number;
  /** False when the pass stopped early (process stopping, or its lease taken over). */
  complete: boolean;
}

const LEASE = 'retention';
const APPS_PER_PAGE = 100;

class LeaseLost extends Error {}
/** Thrown between batches when the process is stopping; the pass's lease is handed back. */
class Stopping extends Error {}

/**
 * Prunes the log to each app's `retention` setting: events older than `events_days`, then deliveries
 * older than `deliveries_days` that are in a final status, then notifications as old with no delivery
 * left. One process at a time runs a pass, under the `retention` job lease; the lease is extended after
 * every batch, so a process that dies mid-pass hands over within `leaseMs` and the next one simply
 * starts again (every delete is by age, so a pass repeated is harmless). After a pass the lease is left
 * to run until `everyMs` later, which is how every process knows the next pass is not due yet.
 *
 * Events are pruned by age only: an event newer than the retention is never deleted, so readers that
 * walk the events table by id (the outbound webhooks' outbox) never lose what they have not read yet.
 */
export class RetentionJob {
  private stopping = false;
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly store: Pick<Store, 'retention' | 'jobLeases'>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RetentionJobOptions,
  ) {
    // A failed pass has handed its lease back; the next poll (here or in another process) starts again.
    this.loop = new BackgroundLoop(log, { errorMessage: 'retention pass failed', step: () => this.poll(), afterFailure: () => opts.pollMs });
  }

  start(): void {
    this.stopping = false;
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
  }

  /**
   * One pass, when it is due and no other process is running one; undefined otherwise. `now` decides
   * the cut-offs and the lease times (tests pass a time far ahead instead of waiting a year).
   */
  async runOnce(now = this.clock.now()): Promise<RetentionPass | undefined> {
    const owner = newId();
    if (!(await this.store.jobLeases.claim(LEASE, owner, now, now + this.opts.leaseMs))) return undefined;
    // Time moves on during a long pass; the lease is kept relative to the pass's own `now`.
    const started = this.clock.now();
    const at = () => now + (this.clock.now() - started);
    const extend = async (until: number) => {
      if (!(await this.store.jobLeases.extend(LEASE, owner, until))) throw new LeaseLost();
    };
    const pass: RetentionPass = { apps: 0, events: 0, deliveries: 0, notifications: 0, complete: false };
    try {
      let after: string | null = null;
      for (;;) {
        const apps = await this.store.retention.appsAfter(after, APPS_PER_PAGE);
        for (const app of apps) {
          await this.pruneApp(app.id, effectiveRetention(parseAppSettings(app.settings)), now, pass, () => extend(at() + this.opts.leaseMs));
          pass.apps++;
        }
        if (apps.length < APPS_PER_PAGE) break;
        after = apps[apps.length - 1].id;
      }
      pass.complete = true;
      await extend(at() + this.opts.everyMs);
    } catch (err) {
      if (!(err instanceof LeaseLost)) {
        // Hand the lease back so another process (or this one's next poll) starts again soon.
        await this.store.jobLeases.extend(LEASE, owner, at()).catch(() => undefined);
        throw err;
      }
      this.log.warn(pass, 'retention pass stopped: its lease was taken over');
    }
    if (pass.events || pass.deliveries || pass.notifications) this.log.info(pass, 'retention pass pruned the log');
    return pass;
  }

  private async pruneApp(appId: string, r: { events_days: number; deliveries_days: number }, now: number, pass: RetentionPass, progress: () => Promise<void>): Promise<void> {
    const { batchSize } = this.opts;
    const eventsBefore = now - r.events_days * DAY_MS;
    const deliveriesBefore = now - r.deliveries_days * DAY_MS;
    for (;;) {
      this.checkStopping();
      const n = await this.store.retention.pruneEvents(appId, eventsBefore, batchSize);
      pass.events += n;
      await progress();
      if (n < batchSize) break;
    }
    // Deliveries before notifications: a notification goes once its last delivery has.
    pass.deliveries += await this.walk((c) => this.store.retention.pruneDeliveries(appId, deliveriesBefore, c, batchSize), progress);
    pass.notifications += await this.walk((c) => this.store.retention.pruneNotifications(appId, deliveriesBefore, c, batchSize), progress);
  }

  private async walk(batch: (after: PruneCursor | null) => Promise<PruneBatch>, progress: () => Promise<void>): Promise<number> {
    let deleted = 0;
    let cursor: PruneCursor | null = null;
    do {
      this.checkStopping();
      const r = await batch(cursor);
      deleted += r.deleted;
      cursor = r.next;
      await progress();
    } while (cursor);
    return deleted;
  }

  private checkStopping(): void {
    if (this.stopping) throw new Stopping();
  }

  /** One pass if due; a pass stopped because the process is stopping is not an error. */
  private async poll(): Promise<number> {
    try {
      await this.runOnce();
    } catch (err) {
      if (!(err instanceof Stopping)) throw err;
    }
    return this.opts.pollMs;
  }
}
