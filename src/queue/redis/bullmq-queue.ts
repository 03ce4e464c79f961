import { randomUUID } from 'node:crypto';
import { Queue as BullQueue, Worker as BullWorker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Queue, QueueItem } from '../../ports/queue.js';
import type { ChannelQueueStats, Store } from '../../ports/store.js';
import type { Clock } from '../../ports/clock.js';
import { CHANNELS, PRIORITIES, type Channel, type Priority } from '../../domain/delivery.js';

export interface BullMqOptions {
  /** redis://… (a /N path picks the database). */
  url: string;
  /** Keys are `<prefix>:<channel>:<priority>:…`, e.g. `herald:push:high:wait`. */
  prefix: string;
  /** HERALD_LEASE_MS: BullMQ's lock duration; a job whose lock ran out is handed out again. */
  leaseMs: number;
}

interface Held {
  job: Job;
  token: string;
  at: number;
}

// Jobs are never failed by BullMQ: a lease that runs out only puts the job back (the log decides
// when a delivery is dead), so the stall limit is out of reach.
const NEVER_FAIL_ON_STALL = 1_000_000_000;
// Bounded waits where a caller must not hang while Redis is away (BullMQ's connection retries forever).
const PUBLISH_WAIT_MS = 2_000;
const PING_WAIT_MS = 2_000;
const JOB = { removeOnComplete: true, removeOnFail: true } as const;

/**
 * The Queue on Redis: one BullMQ queue per channel and priority, job id = delivery id. Jobs are
 * fetched by hand (workers without a processor), so a claim can take high before normal before
 * low, and a claimed job stays locked for the lease; BullMQ's stalled check puts it back when the
 * lease runs out. Completed jobs are removed so a retry can publish the same id again.
 *
 * Redis is not the log: whatever it loses (flush, failover without persistence, a publish that
 * never arrived) the Sweeper re-publishes from the database, and a claimed id whose delivery is no
 * longer open is completed here rather than handed to the worker.
 */
export class BullMqQueue implements Queue {
  readonly redis: Redis;
  private readonly queues = new Map<string, BullQueue>();
  private readonly workers = new Map<string, BullWorker>();
  /** Jobs this process claimed and has not completed yet, in claim order, with the lock token. */
  private readonly held = new Map<string, Held>();
  private readonly waiters = new Map<Channel, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly opts: BullMqOptions,
    private readonly log?: Logger,
  ) {
    // One connection for every queue and worker; BullMQ requires unlimited retries on it, and each
    // worker adds its own blocking connection, created on the first claim of its channel.
    this.redis = new Redis(opts.url, { maxRetriesPerRequest: null });
    this.redis.on('error', (err) => this.log?.warn({ err }, 'redis connection error'));
  }

  async publish(items: QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    // A retry republishes the id it holds: complete the held job first so the id is free.
    await this.complete(items.map((i) => i.deliveryId));
    try {
      await withTimeout(this.add(items), PUBLISH_WAIT_MS, 'publish');
    } catch (err) {
      // The deliveries are committed in the log; the sweeper publishes them once their grace has
      // passed, so the caller's 202 stays true while Redis is away.
      this.log?.warn({ err, count: items.length }, 'publish to Redis failed; the sweeper will re-publish from the log');
    }
    const now = this.clock.now();
    for (const c of new Set(items.filter((i) => i.runAt <= now).map((i) => i.channel))) this.wake(c);
  }

  async claim(channel: Channel, limit: number): Promise<string[]> {
    this.forgetExpired();
    const token = randomUUID();
    const jobs: Job[] = [];
    for (const priority of PRIORITIES) {
      const worker = this.worker(channel, priority);
      // Fetch in growing waves (1, 2, 4 … 64 at once): an idle poll costs one call per priority, a
      // backlog is drained in a few round trips, and a short wave means this priority is empty for now.
      for (let wave = 1; jobs.length < limit; wave = Math.min(wave * 2, 64)) {
        const n = Math.min(wave, limit - jobs.length);
        const got = (await Promise.all(Array.from({ length: n }, () => worker.getNextJob(token, { block: false })))).filter(
          (j): j is Job => j !== undefined,
        );
        jobs.push(...got);
        if (got.length < n) break;
      }
      if (jobs.length >= limit) break;
    }
    if (jobs.length === 0) return [];
    const now = this.clock.now();
    for (const job of jobs) {
      this.held.delete(job.id!);
      this.held.set(job.id!, { job, token, at: now });
    }
    // A duplicate the sweeper published, or a job whose lease ran out while its delivery was being
    // recorded: the log says it is done, so it is completed here instead of cycling through leases.
    const ids = jobs.map((j) => j.id!);
    const open = new Set(await this.store.sweep.openAmong(ids));
    await this.complete(ids.filter((id) => !open.has(id)));
    return ids.filter((id) => open.has(id));
  }

  async ack(_channel: Channel, deliveryIds: string[]): Promise<void> {
    await this.complete(deliveryIds);
  }

  async stats(): Promise<ChannelQueueStats[]> {
    const now = this.clock.now();
    const dead = await this.store.sweep.deadByChannel();
    return Promise.all(
      CHANNELS.map(async (channel): Promise<ChannelQueueStats> => {
        const per = await Promise.all(
          PRIORITIES.map(async (p) => {
            const q = this.queue(channel, p);
            const [counts, [oldest]] = await Promise.all([q.getJobCounts('waiting', 'prioritized', 'active', 'delayed'), q.getJobs(['wait'], 0, 0, true)]);
            // Age since the job became due: a scheduled send is not "old" for the time it waited by design.
            const due = oldest ? oldest.timestamp + (oldest.opts.delay ?? 0) : undefined;
            return { counts, due };
          }),
        );
        const dues = per.map((x) => x.due).filter((d): d is number => d !== undefined);
        const sum = (k: string) => per.reduce((n, x) => n + (x.counts[k] ?? 0), 0);
        return {
          channel,
          depth: sum('waiting') + sum('prioritized'),
          oldest_age_ms: dues.length ? Math.max(0, now - Math.min(...dues)) : 0,
          in_flight: sum('active'),
          scheduled: sum('delayed'),
          dead: dead[channel] ?? 0,
        };
      }),
    );
  }

  /** Other processes' publishes are found by the worker's short idle poll; this process's wake it at once. */
  waitForWork(channel: Channel, maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const set = this.waiters.get(channel) ?? new Set();
      this.waiters.set(channel, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      set.add(done);
    });
  }

  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), PING_WAIT_MS, 'redis ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const set of this.waiters.values()) for (const w of [...set]) w();
    await Promise.all([...this.workers.values()].map((w) => w.close(true)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * For the sweeper: of these open deliveries, re-publish those Redis does not hold (missing, or
   * finished while the log still has them open). Returns how many were re-published.
   */
  async republishMissing(items: QueueItem[]): Promise<number> {
    if (items.length === 0) return 0;
    // Jobs are removed on completion and failure, so a job's hash exists exactly while Redis holds it
    // (waiting, prioritized, delayed or active). One pipelined EXISTS per page is O(1) per delivery;
    // BullMQ's getJobState searches the waiting list and cost O(backlog) per delivery under load.
    const pipeline = this.redis.pipeline();
    for (const i of items) pipeline.exists(this.queue(i.channel, i.priority).toKey(i.deliveryId));
    const answers = (await pipeline.exec()) ?? [];
    const missing = items.filter((_, k) => answers[k]?.[0] == null && answers[k]?.[1] === 0);
    await this.add(missing);
    return missing.length;
  }

  /** A lock shared by every process on this Redis: true for the one caller that got it, until it expires. */
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.opts.prefix}:lock:${name}`, randomUUID(), 'PX', ttlMs, 'NX')) === 'OK';
  }

  private async add(items: QueueItem[]): Promise<void> {
    const groups = new Map<string, QueueItem[]>();
    for (const i of items) {
      const k = `${i.channel}:${i.priority}`;
      groups.set(k, [...(groups.get(k) ?? []), i]);
    }
    const now = this.clock.now();
    await Promise.all(
      [...groups.values()].map((group) =>
        this.queue(group[0].channel, group[0].priority).addBulk(
          group.map((i) => ({ name: 'delivery', data: {}, opts: { ...JOB, jobId: i.deliveryId, delay: Math.max(0, i.runAt - now) } })),
        ),
      ),
    );
  }

  /** Completes (and so removes) the held jobs among these ids; a lock lost meanwhile is not an error. */
  private async complete(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const h = this.held.get(id);
        if (!h) return;
        this.held.delete(id);
        try {
          await h.job.moveToCompleted(null, h.token, false);
        } catch {
          // The lease ran out and another worker holds it, or Redis lost it: the log decides either way.
        }
      }),
    );
  }

  /** Held entries older than two leases were neither acked nor republished (a batch that threw): their jobs went back. */
  private forgetExpired(): void {
    const cutoff = this.clock.now() - 2 * this.opts.leaseMs;
    for (const [id, h] of this.held) {
      if (h.at >= cutoff) break;
      this.held.delete(id);
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

  private wake(channel: Channel): void {
    for (const w of [...(this.waiters.get(channel) ?? [])]) w();
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
