import { Cron } from 'croner';
import type { Logger } from 'pino';
import { ApiError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { SchedulesRow, Store } from '../ports/store.js';
import type { SendService } from './send.js';
import type { SendRequest } from './send-request.js';

/** The earliest timezone is UTC+14: a wall-clock time there comes before it does anywhere else. */
const EARLIEST_OFFSET_MS = 14 * 3_600_000;

/**
 * The next time a schedule fires, strictly after `after`; null when it never will again.
 * timezone "user" (each recipient's own): the cron is read as wall-clock time W, and the schedule
 * fires when W first happens anywhere on Earth (UTC+14); the send then carries `send_at_local`
 * W, so each recipient's delivery waits for W in their own zone.
 */
export function nextRun(cron: string, timezone: string, after: number): number | null {
  if (timezone === 'user') {
    const wall = new Cron(cron, { timezone: 'UTC', paused: true }).nextRun(new Date(after + EARLIEST_OFFSET_MS));
    return wall ? wall.getTime() - EARLIEST_OFFSET_MS : null;
  }
  const next = new Cron(cron, { timezone, paused: true }).nextRun(new Date(after));
  return next ? next.getTime() : null;
}

/** For a "user" schedule firing at `ranAt`: the wall-clock date and time every recipient gets it at. */
export function userWallTime(ranAt: number): { date: string; send_at_local: string } {
  const w = new Date(ranAt + EARLIEST_OFFSET_MS).toISOString();
  return { date: w.slice(0, 10), send_at_local: w.slice(11, 16) };
}

/**
 * Recurring sends. Each tick claims due schedules under a lease (one scheduler fires each), and each
 * firing sends with the deterministic event_id `schedule:{id}:{firing time}`, so a restart or a
 * second scheduler that fires the same time again is an idempotent replay, not a second send.
 * After downtime a schedule fires once for its most recent missed time, not once per missed time.
 */
export class Scheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly store: Store,
    private readonly send: SendService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: { tickMs: number; leaseMs: number } = { tickMs: 500, leaseMs: 30_000 },
  ) {}

  start(): void {
    const loop = async () => {
      this.running = this.tick().catch((err) => this.log.error({ err }, 'scheduler tick failed'));
      await this.running;
      if (this.timer !== undefined) this.timer = setTimeout(loop, this.opts.tickMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: fire everything due now. Returns how many schedules fired. */
  async tick(): Promise<number> {
    const due = await this.store.schedules.claimDue(this.clock.now(), this.opts.leaseMs, 50);
    for (const s of due) await this.fire(s);
    return due.length;
  }

  private async fire(s: SchedulesRow): Promise<void> {
    const ranAt = s.next_run_at!;
    const now = this.clock.now();
    let error: string | null = null;
    const app = await this.store.apps.findById(s.app_id);
    if (app) {
      const req: SendRequest = { ...(JSON.parse(s.notification) as SendRequest), event_id: `schedule:${s.id}:${ranAt}` };
      if (s.timezone === 'user') Object.assign(req, userWallTime(ranAt));
      const r = await this.send.send({ id: app.id, name: app.name }, req).catch((err: unknown) => ({ ok: false as const, error: err }));
      if (!r.ok) {
        error = r.error instanceof ApiError ? `${r.error.code}: ${r.error.message}` : String(r.error);
        this.log.warn({ schedule_id: s.id, error }, 'scheduled send refused');
      }
    } else error = 'app no longer exists';
    await this.store.schedules.fired(s.id, ranAt, nextRun(s.cron, s.timezone, Math.max(now, ranAt)), error, this.clock.now());
  }
}
