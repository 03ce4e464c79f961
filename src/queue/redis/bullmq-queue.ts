import { randomUUID } from 'node:crypto';
import { Queue as BullQueue, Worker as BullWorker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Queue, QueueItem } from '../../ports/queue.js';
import type { ChannelQueueStats, Store } from '../../ports/store.js';
import type { Clock } from '../../ports/clock.js';
import { CHANNELS, PRIORITIES, type Channel, type Priority } from '../../domain/delivery.js';
import { newId } from '../../domain/ids.js';
import { WorkSignal } from '../work-signal.js';

export interface BullMqOptions {
  /** redis://… (a /N path picks the database). */
  url: string;
  /** Keys are `<prefix>:<channel>:<priority>:…`, e.g. `herald:push:high:wait`. */
  prefix: string;
  /** HERALD_LEASE_MS: BullMQ's lock duration; a job whose lock ran out is handed out again. */
  leaseMs: number;
}

/**
 * A job this process claimed: its lock token, the ids not yet handed to a worker loop, and the ids
 * handed out but not yet acked. The job is completed (and so removed) when both are empty.
 */
interface Held {
  job: Job<JobData>;
  token: string;
  at: number;
  channel: Channel;
  priority: Priority;
  unclaimed: string[];
  pending: Set<string>;
  /** Its unclaimed ids were given up (see forgetStale): it must run out its lease and return, never be completed. */
  abandoned: boolean;
}

interface JobData {
  /** Delivery ids of one channel and priority, due at the same time. */
  ids: string[];
}

// Jobs are never failed by BullMQ: a lease that runs out only puts the job back (the log decides
// when a delivery is dead), so the stall limit is out of reach.
const NEVER_FAIL_ON_STALL = 1_000_000_000;
// Bounded waits where a caller must not hang while Redis is away (BullMQ's connection retries forever).
const PUBLISH_WAIT_MS = 2_000;
const PING_WAIT_MS = 2_000;
const JOB = { removeOnComplete: true, removeOnFail: true } as const;
/** Deliveries per job: an API batch's channel group fits one job; a fan-out page of 1,000 makes two. */
export const JOB_SIZE = 500;
/** The most jobs one claim asks Redis for at once. */
const MAX_WAVE = 32;

/**
 * The Queue on Redis: one BullMQ queue per channel and priority. A job carries up to 500 delivery
 * ids that are due at the same time (an API request's deliveries of one channel, a fan-out page, a
 * retry), so Redis does a few operations per batch rather than per delivery — publishing, claiming
 * and completing one job per delivery cost more CPU (in the workers, the API and Redis) than the
 * rest of the pipeline's queue work together. Jobs are fetched by hand (workers without a processor),
 * so a claim can take high before normal before low; a claimed job stays locked for the lease, and
 * BullMQ's stalled check puts it back when the lease runs out. A claimed job's ids are handed to this
 * process's worker loops `limit` at a time and the job is completed when all of them are acked.
 *
 * Redis is not the log: whatever it loses (flush, failover without persistence, a publish that
 * never arrived) the Sweeper re-publishes from the database, and a claimed id whose delivery is no
 * longer open is completed here rather than handed to the worker.
 */
export class BullMqQueue implements Queue {
  readonly redis: Redis;
  private readonly queues = new Map<string, BullQueue>();
  private readonly workers = new Map<string, BullWorker>();
  /** Jobs this process claimed and has not completed, by job id, in claim order. */
  private readonly held = new Map<string, Held>();
  /** Delivery id → the held job it came in. */
  private readonly heldBy = new Map<string, Held>();
  private readonly signal = new WorkSignal();
  /** Pub/sub connection: another process's publish wakes this one's idle workers (no polling for work). */
  private readonly wakeups: Redis;
  private readonly wakeKey: string;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly opts: BullMqOptions,
    private readonly log?: Logger,
  ) {
    // One connection for every queue and worker; BullMQ requires unlimited retries on it.
    this.redis = new Redis(opts.url, { maxRetriesPerRequest: null });
    this.redis.on('error', (err) => this.log?.warn({ err }, 'redis connection error'));
    this.wakeKey = `${opts.prefix}:wake`;
    this.wakeups = new Redis(opts.url, { maxRetriesPerRequest: null });
    this.wakeups.on('error', (err) => this.log?.warn({ err }, 'redis wake-up connection error'));
    this.wakeups.on('message', (_key: string, message: string) => {
      for (const c of message.split(',')) this.signal.wake(c as Channel);
    });
    void this.wakeups.subscribe(this.wakeKey).catch((err) => this.log?.warn({ err }, 'redis wake-up subscribe failed'));
  }

  async publish(items: QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    // A retry republishes an id it holds: that id is done in its old job.
    await this.release(items.map((i) => i.deliveryId));
    try {
      await withTimeout(this.add(items), PUBLISH_WAIT_MS, 'publish');
    } catch (err) {
      // The deliveries are committed in the log; the sweeper publishes them once their grace has
      // passed, so the caller's 202 stays true while Redis is away.
      this.log?.warn({ err, count: items.length }, 'publish to Redis failed; the sweeper will re-publish from the log');
    }
    // Every process's idle workers of these channels (this one's through pub/sub too, which is harmless);
    // for later items as well, so a worker asleep until a later due time sees the earlier one.
    const channels = [...new Set(items.map((i) => i.channel))];
    for (const c of channels) this.signal.wake(c);
    await this.redis.publish(this.wakeKey, channels.join(',')).catch((err) => this.log?.warn({ err }, 'redis wake-up publish failed'));
  }

  async claim(channel: Channel, limit: number): Promise<string[]> {
    await this.forgetStale();
    const out: string[] = [];
    for (const priority of PRIORITIES) {
      this.takeUnclaimed(channel, priority, limit, out);
      // Jobs in growing waves (1, 2, 4 … at once): one job is often enough (an API batch's group), and
      // a backlog of small jobs (retries) is still drained in a few round trips.
      for (let wave = 1; out.length < limit; wave = Math.min(wave * 2, MAX_WAVE)) {
        const got = await this.fetchJobs(channel, priority, wave);
        this.takeUnclaimed(channel, priority, limit, out);
        if (got < wave) break;
      }
      if (out.length >= limit) break;
    }
    if (out.length === 0) return [];
    // A duplicate the sweeper published, or a job whose lease ran out while its deliveries were being
    // recorded: the log says those are done, so they are released here instead of handed out.
    const open = new Set(await this.store.sweep.openAmong(out));
    const closed = out.filter((id) => !open.has(id));
    if (closed.length) await this.release(closed);
    return out.filter((id) => open.has(id));
  }

  async ack(_channel: Channel, deliveryIds: string[]): Promise<void> {
    await this.release(deliveryIds);
  }

  /** Extends the locks of the jobs holding these ids; a job whose lock is gone is left to the log. */
  async extend(_channel: Channel, deliveryIds: string[]): Promise<void> {
    const jobs = new Set<Held>();
    for (const id of deliveryIds) {
      const h = this.heldBy.get(id);
      if (h && h.pending.has(id)) jobs.add(h);
    }
    const now = this.clock.now();
    await Promise.all(
      [...jobs].map(async (h) => {
        try {
          await h.job.extendLock(h.token, this.opts.leaseMs);
        } catch {
          return; // another process holds it now, or Redis lost it
        }
        // Fresh again: it may hand out its remaining ids; kept in claim order for forgetStale.
        h.at = now;
        this.held.delete(h.job.id!);
        this.held.set(h.job.id!, h);
      }),
    );
  }

  /**
   * Depth, age and scheduled come from the log (open deliveries, by run_at), in flight from Redis (the
   * open deliveries of jobs that are active, in any process): a job holds many deliveries, so Redis's
   * own job counts are not delivery counts.
   */
  async stats(appId?: string): Promise<ChannelQueueStats[]> {
    const now = this.clock.now();
    const fromLog = await this.store.queueTable.stats(now, appId);
    const active = await Promise.all(
      CHANNELS.map(async (channel) => {
        const jobs = (await Promise.all(PRIORITIES.map((p) => this.queue(channel, p).getJobs(['active'])))).flat();
        const ids = jobs.flatMap((j) => (j?.data as JobData | undefined)?.ids ?? []);
        return { channel, n: ids.length ? (await this.store.sweep.openAmong(ids, appId)).length : 0 };
      }),
    );
    return fromLog.map((s) => {
      const inFlight = active.find((a) => a.channel === s.channel)?.n ?? 0;
      return { ...s, depth: Math.max(0, s.depth - inFlight), in_flight: inFlight };
    });
  }

  /** Other processes' publishes are found by the worker's short idle poll; this process's wake it at once. */
  /**
   * Sleeps until a publish (this process's or, through pub/sub, another's) wakes the channel, the log's
   * next scheduled delivery or retry is due, or `maxWaitMs` (the safety net: a lost wake-up, a dead
   * process's lease running out). Idle, a worker makes no Redis call but the claim after each wake.
   */
  waitForWork(channel: Channel, maxWaitMs: number): Promise<boolean> {
    return this.signal.untilDue(channel, maxWaitMs, () => this.clock.now(), (now) => this.store.queueTable.nextRunAt(channel, now), 50);
  }


  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), PING_WAIT_MS, 'redis ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signal.close();
    await this.wakeups.quit().catch(() => this.wakeups.disconnect());
    await Promise.all([...this.workers.values()].map((w) => w.close(true)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * For the sweeper: every delivery id Redis holds for one channel and priority, in jobs delayed,
   * waiting or active. Read in the order a job moves (delayed → wait → active), so a job moving on
   * while this reads is seen in its new list rather than missed; one that completes meanwhile is
   * missed, and its delivery, closed in the log by then, is dropped again when claimed.
   */
  async heldIds(channel: Channel, priority: Priority): Promise<Set<string>> {
    const q = this.queue(channel, priority);
    const ids = new Set<string>();
    for (const type of ['delayed', 'wait', 'active'] as const) {
      for (const job of await q.getJobs([type])) for (const id of (job?.data as JobData | undefined)?.ids ?? []) ids.add(id);
    }
    return ids;
  }

  /** For the sweeper: publish what Redis lost (no release of held ids, no wake-up: the deliveries are old). */
  async republish(items: QueueItem[]): Promise<void> {
    await this.add(items);
  }

  /** A lock shared by every process on this Redis: true for the one caller that got it, until it expires. */
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.opts.prefix}:lock:${name}`, randomUUID(), 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** One job per channel, priority and run time, of at most JOB_SIZE ids. */
  private async add(items: QueueItem[]): Promise<void> {
    const groups = new Map<string, QueueItem[]>();
    for (const i of items) {
      const k = `${i.channel}:${i.priority}:${i.runAt}`;
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    }
    const byQueue = new Map<BullQueue, { name: string; data: JobData; opts: object }[]>();
    const now = this.clock.now();
    for (const group of groups.values()) {
      const q = this.queue(group[0].channel, group[0].priority);
      const list = byQueue.get(q) ?? [];
      byQueue.set(q, list);
      for (let k = 0; k < group.length; k += JOB_SIZE) {
        const ids = group.slice(k, k + JOB_SIZE).map((i) => i.deliveryId);
        list.push({ name: 'deliveries', data: { ids }, opts: { ...JOB, jobId: newId(), delay: Math.max(0, group[0].runAt - now) } });
      }
    }
    await Promise.all([...byQueue].map(([q, jobs]) => q.addBulk(jobs)));
  }

  /** Claims up to `n` jobs of one queue at once; returns how many came. */
  private async fetchJobs(channel: Channel, priority: Priority, n: number): Promise<number> {
    const worker = this.worker(channel, priority);
    const token = randomUUID();
    const jobs = (await Promise.all(Array.from({ length: n }, () => worker.getNextJob(token, { block: false })))).filter(
      (j): j is Job<JobData> => j !== undefined,
    );
    const at = this.clock.now();
    for (const job of jobs) {
      // A job this process held before whose lease ran out: its old entry is void.
      const old = this.held.get(job.id!);
      if (old) this.drop(old);
      const ids = Array.isArray(job.data?.ids) ? job.data.ids.filter((id): id is string => typeof id === 'string') : [];
      // A job BullMQ put back after its lock ran out: its deliveries still open are taken up after a lost lease.
      if (job.stalledCounter > 0 && ids.length) await this.store.queueTable.markRelet(ids);
      const h: Held = { job, token, at, channel, priority, unclaimed: ids, pending: new Set(), abandoned: false };
      this.held.set(job.id!, h);
      for (const id of ids) this.heldBy.set(id, h);
      if (ids.length === 0) await this.completeJob(h);
    }
    return jobs.length;
  }

  /** Hands out ids of held jobs of this channel and priority, oldest job first. */
  private takeUnclaimed(channel: Channel, priority: Priority, limit: number, out: string[]): void {
    for (const h of this.held.values()) {
      if (out.length >= limit) return;
      if (h.channel !== channel || h.priority !== priority || h.unclaimed.length === 0) continue;
      const ids = h.unclaimed.splice(0, limit - out.length);
      for (const id of ids) h.pending.add(id);
      out.push(...ids);
    }
  }

  /** These ids are done with (acked, republished, or closed in the log); jobs left with nothing are completed. */
  private async release(ids: string[]): Promise<void> {
    const emptied = new Set<Held>();
    for (const id of ids) {
      const h = this.heldBy.get(id);
      if (!h) continue;
      this.heldBy.delete(id);
      h.pending.delete(id);
      const k = h.unclaimed.indexOf(id);
      if (k >= 0) h.unclaimed.splice(k, 1);
      if (h.pending.size === 0 && h.unclaimed.length === 0) emptied.add(h);
    }
    for (const h of emptied) if (h.abandoned) this.drop(h);
    await Promise.all([...emptied].filter((h) => !h.abandoned).map((h) => this.completeJob(h)));
  }

  private async completeJob(h: Held): Promise<void> {
    this.drop(h);
    try {
      await h.job.moveToCompleted(null, h.token, false);
    } catch {
      // The lease ran out and another worker holds it, or Redis lost it: the log decides either way.
    }
  }

  private drop(h: Held): void {
    if (this.held.get(h.job.id!) === h) this.held.delete(h.job.id!);
    for (const id of [...h.unclaimed, ...h.pending]) if (this.heldBy.get(id) === h) this.heldBy.delete(id);
  }

  /**
   * Jobs claimed more than half a lease ago hand out nothing more (their lease may run out while the
   * ids are being sent, and then another process takes the job); jobs older than two leases were
   * neither acked nor completed (a batch that threw): they went back to Redis, so they are forgotten.
   */
  private async forgetStale(): Promise<void> {
    const now = this.clock.now();
    for (const h of [...this.held.values()]) {
      if (h.at >= now - this.opts.leaseMs / 2) break;
      if (h.at < now - 2 * this.opts.leaseMs) this.drop(h);
      else if (h.unclaimed.length) {
        for (const id of h.unclaimed) if (this.heldBy.get(id) === h) this.heldBy.delete(id);
        h.unclaimed = [];
        h.abandoned = true;
        if (h.pending.size === 0) this.drop(h);
      }
    }
  }

  private queue(channel: Channel, priority: Priority): BullQueue {
    const k = `${channel}:${priority}`;
    let q = this.queues.get(k);
    if (!q) {
      q = new BullQueue(priority, { connection: this.redis, prefix: `${this.opts.prefix}:${channel}` });
      q.on('error', (err) => this.log?.warn({ err, queue: k }, 'bullmq queue error'));
      this.queues.set(k, q);
    }
    return q;
  }

  private worker(channel: Channel, priority: Priority): BullWorker {
    const k = `${channel}:${priority}`;
    let w = this.workers.get(k);
    if (!w) {
      w = new BullWorker(priority, null, {
        connection: this.redis,
        prefix: `${this.opts.prefix}:${channel}`,
        autorun: false,
        lockDuration: this.opts.leaseMs,
        // A job is taken up again between one lease and one and a half leases after its claim.
        stalledInterval: Math.max(50, Math.floor(this.opts.leaseMs / 2)),
        maxStalledCount: NEVER_FAIL_ON_STALL,
      });
      w.on('error', (err) => this.log?.warn({ err, queue: k }, 'bullmq worker error'));
      this.workers.set(k, w);
      // Manual fetching does not start BullMQ's stalled check; without it an expired lease would never return the job.
      void w.startStalledCheckTimer();
    }
    return w;
  }

}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}
