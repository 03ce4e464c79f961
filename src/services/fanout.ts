import type { Logger } from 'pino';
import { newId } from '../domain/ids.js';
import type { Clock } from '../ports/clock.js';
import type { Queue } from '../ports/queue.js';
import { FanoutLeaseLost, type FanoutsRow, type Store } from '../ports/store.js';
import type { FanoutJob } from './fanout-job.js';
import type { SendService } from './send.js';

export interface FanoutOptions {
  /** Subscribers per page: one read, one plan, one transaction. */
  pageSize: number;
  /** How long a claim holds a fan-out without committing a page before another process may take it up. */
  leaseMs: number;
}

/** A claimed fan-out: `owner` is this claim's token, `cursor` the last user id committed. */
export interface FanoutLease {
  row: FanoutsRow;
  owner: string;
  job: FanoutJob;
  cursor: string | null;
}

export type PageOutcome = 'more' | 'done' | 'lost';

/**
 * Topic fan-out: streams a topic's subscribers in pages of `pageSize`, ordered by user id after the
 * cursor. Each page is planned by the SendService exactly like a `user_ids` send, then its deliveries,
 * their first events, its frequency-cap claims and the cursor move commit in one transaction, and only
 * then are the deliveries published. Memory holds one page at a time however large the topic. A
 * process that dies mid-fan-out leaves its lease to run out; whoever claims next resumes after the last
 * committed page, and a page from a holder that lost its lease is refused, so no subscriber is skipped
 * or planned twice.
 */
export class FanoutService {
  constructor(
    private readonly store: Store,
    private readonly queue: Queue,
    private readonly send: SendService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: FanoutOptions,
  ) {}

  async claim(): Promise<FanoutLease | undefined> {
    const owner = newId();
    const row = await this.store.fanouts.claim(this.clock.now(), this.opts.leaseMs, owner);
    if (!row) return undefined;
    return { row, owner, job: JSON.parse(row.request) as FanoutJob, cursor: row.cursor };
  }

  async runPage(lease: FanoutLease): Promise<PageOutcome> {
    const { row, owner, job } = lease;
    const userIds = await this.store.topics.subscribersAfter(row.app_id, row.topic, lease.cursor, this.opts.pageSize);
    const now = this.clock.now();
    const page = userIds.length
      ? await this.send.planFanoutPage(job, row.id, userIds, now)
      : { deliveries: [], events: [], queued: [], caps: [], users: 0, skipped: [] };
    const done = userIds.length < this.opts.pageSize;
    const cursor = userIds.length ? userIds[userIds.length - 1] : lease.cursor;
    let over: ReadonlySet<string>;
    try {
      over = await this.store.fanouts.commitPage({
        fanoutId: row.id,
        owner,
        cursor,
        users: page.users,
        skipped: page.skipped.length,
        done,
        deliveries: page.deliveries,
        events: page.events,
        caps: page.caps,
        now,
        leaseUntil: now + this.opts.leaseMs,
      });
    } catch (err) {
      if (err instanceof FanoutLeaseLost) {
        this.log.warn({ notification_id: row.id }, 'fan-out taken over or cancelled; page dropped');
        return 'lost';
      }
      throw err;
    }
    lease.cursor = cursor;
    if (page.skipped.length) {
      this.log.warn({ notification_id: row.id, skipped: page.skipped.length, first: page.skipped.slice(0, 5) }, 'fan-out skipped subscribers whose content could not be made');
    }
    const queued = page.queued.filter((q) => !over.has(q.deliveryId));
    if (queued.length) await this.queue.publish(queued);
    return done ? 'done' : 'more';
  }

  /** Runs a claimed fan-out page after page until it is done, lost, or `stopping()` says so. */
  async runToEnd(lease: FanoutLease, stopping: () => boolean): Promise<PageOutcome> {
    for (;;) {
      if (stopping()) {
        await this.store.fanouts.release(lease.row.id, lease.owner);
        return 'more';
      }
      const r = await this.runPage(lease);
      if (r !== 'more') return r;
    }
  }
}
