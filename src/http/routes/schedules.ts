import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { SchedulesRow } from '../../ports/store.js';
import { nextRun } from '../../services/scheduler.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { UuidString } from '../schemas.js';
import { validTimezone } from './users.js';
import { SendBody } from './notifications.js';

const ScheduleNotification = Type.Omit(SendBody, ['event_id', 'send_at', 'send_at_local', 'date']);
const ScheduleBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 200 })),
  cron: Type.String({ minLength: 9, maxLength: 120 }),
  timezone: Type.Optional(Type.String({ maxLength: 64 })),
  notification: ScheduleNotification,
});
const IdParams = Type.Object({ id: UuidString });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
function present(s: SchedulesRow) {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    status: s.status,
    notification: JSON.parse(s.notification),
    next_run_at: iso(s.next_run_at),
    last_run_at: iso(s.last_run_at),
    runs: s.runs,
    last_error: s.last_error,
    created_at: iso(s.created_at),
  };
}

export async function scheduleRoutes(app: FastifyInstance, { store, clock }: HttpDeps): Promise<void> {
  app.post('/v1/schedules', { schema: { tags: ['schedules'], body: ScheduleBody } }, async (req, reply) => {
    const a = appOf(req);
    const b = req.body as Static<typeof ScheduleBody>;
    const timezone = b.timezone ?? 'UTC';
    if (timezone !== 'user' && !validTimezone(timezone)) throw badRequest('invalid_timezone', 'timezone must be an IANA name such as Europe/Berlin', 'timezone');
    const now = clock.now();
    let next: number | null;
    try {
      next = nextRun(b.cron, timezone, now);
    } catch (err) {
      throw badRequest('invalid_cron', `cron: ${(err as Error).message}`, 'cron');
    }
    if (next === null) throw badRequest('invalid_cron', 'the cron expression never fires', 'cron');
    // At most once a minute: a seconds field (6-field cron) must name one second.
    const fields = b.cron.trim().split(/\s+/);
    if (fields.length >= 6 && !/^\d{1,2}$/.test(fields[0])) throw badRequest('invalid_cron', 'a schedule fires at most once a minute: with a seconds field, give one second (e.g. "0 */5 * * * *")', 'cron');
    // Recipients' own timezones work at minute resolution (send_at_local is HH:MM).
    if (timezone === 'user' && b.cron.trim().split(/\s+/).length > 5) throw badRequest('invalid_cron', 'with timezone "user", use a 5-field cron (minute resolution)', 'cron');
    const row: SchedulesRow = {
      id: newId(),
      app_id: a.id,
      name: b.name ?? null,
      cron: b.cron,
      timezone,
      notification: JSON.stringify(b.notification),
      status: 'active',
      next_run_at: next,
      lease_until: null,
      last_run_at: null,
      runs: 0,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await store.schedules.insert(row);
    return reply.status(201).send(present(row));
  });

  app.get('/v1/schedules', { schema: { tags: ['schedules'] } }, async (req) => ({ schedules: (await store.schedules.list(appOf(req).id)).map(present) }));

  app.get('/v1/schedules/:id', { schema: { tags: ['schedules'], params: IdParams } }, async (req) => {
    const s = await store.schedules.get(appOf(req).id, (req.params as Static<typeof IdParams>).id.toLowerCase());
    if (!s) throw notFound('unknown_schedule', 'no such schedule');
    return present(s);
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/v1/schedules/:id/${action}`, { schema: { tags: ['schedules'], params: IdParams } }, async (req) => {
      const a = appOf(req);
      const id = (req.params as Static<typeof IdParams>).id.toLowerCase();
      const s = await store.schedules.get(a.id, id);
      if (!s) throw notFound('unknown_schedule', 'no such schedule');
      const now = clock.now();
      // Resuming starts from now: the times missed while paused are skipped, not fired late.
      const next = action === 'pause' ? s.next_run_at : nextRun(s.cron, s.timezone, now);
      await store.schedules.setStatus(a.id, id, action === 'pause' ? 'paused' : 'active', next, now);
      return present((await store.schedules.get(a.id, id))!);
    });
  }

  app.delete('/v1/schedules/:id', { schema: { tags: ['schedules'], params: IdParams } }, async (req, reply) => {
    if (!(await store.schedules.remove(appOf(req).id, (req.params as Static<typeof IdParams>).id.toLowerCase()))) throw notFound('unknown_schedule', 'no such schedule');
    return reply.status(204).send();
  });
}
