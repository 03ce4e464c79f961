import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import {
  CLICKABLE_CHANNELS,
  DAY_MS,
  FAILED_AFTER_SENDING_REASONS,
  OPENABLE_CHANNELS,
  SUPPRESSION_REASONS,
  type AnalyticsCounts,
  type AnalyticsDimension,
} from '../../domain/analytics.js';
import type { Channel, SuppressionReason } from '../../domain/delivery.js';

type Eb = ExpressionBuilder<Database & { d: Database['deliveries'] }, 'd'>;

/**
 * The grouped columns. `day` is the UTC day number: integer division of the epoch-ms column reads the
 * same and gives the same answer in SQLite and PostgreSQL (both divide integers as integers), needs no
 * date function per row, and is turned into `YYYY-MM-DD` once per group (domain/analytics.ts). The
 * divisor is a literal so the SELECT and GROUP BY expressions are the same text (PostgreSQL compares
 * them as written; two bound parameters would not match).
 */
const DIMENSION_SQL: Record<AnalyticsDimension, Expression<unknown>> = {
  template: sql`n.template`,
  channel: sql`d.channel`,
  provider: sql`d.provider`,
  category: sql`d.category`,
  day: sql`d.created_at / ${sql.raw(String(DAY_MS))}`,
};

/** Reached a provider: accepted by it, whatever its receipts said afterwards. */
const reachedProvider = (eb: Eb): Expression<SqlBool> =>
  eb.or([eb('d.status', 'in', ['sent', 'delivered']), eb.and([eb('d.status', '=', 'failed'), eb('d.reason', 'in', [...FAILED_AFTER_SENDING_REASONS])])]);

/**
 * `GET /v1/analytics` in one statement per request: the app's deliveries created in the range, grouped
 * as asked, every figure a `count(*) FILTER (WHERE …)` (SQLite ≥ 3.30 and PostgreSQL alike), so no row
 * leaves the database. The scan is bounded by deliveries_app_created (migration 006); notifications are
 * joined, by primary key, only when grouping by template, the one column deliveries do not carry.
 */
export function analyticsQueries(db: Kysely<Database>): Store['analytics'] {
  return {
    async counts(appId, q) {
      const join = q.groupBy.includes('template');
      const dims = q.groupBy.map((d) => DIMENSION_SQL[d]);
      let query = db
        .selectFrom('deliveries as d')
        .$if(join, (qb) => qb.innerJoin('notifications as n', 'n.id', 'd.notification_id'))
        .where('d.app_id', '=', appId)
        .where('d.created_at', '>=', q.since)
        .where('d.created_at', '<', q.until)
        .select((eb) => {
          const count = (where?: (eb: Eb) => Expression<SqlBool>) => (where ? eb.fn.countAll<number>().filterWhere(where(eb)) : eb.fn.countAll<number>());
          const status = (s: string | string[]) => (e: Eb) => (Array.isArray(s) ? e('d.status', 'in', s) : e('d.status', '=', s));
          return [
            ...q.groupBy.map((d, i) => sql`${dims[i]}`.as(d)),
            count().as('total'),
            count(reachedProvider).as('sent'),
            count(status('delivered')).as('delivered'),
            count(status('failed')).as('failed'),
            count(status('suppressed')).as('suppressed'),
            ...SUPPRESSION_REASONS.map((r) => count((e) => e.and([e('d.status', '=', 'suppressed'), e('d.reason', '=', r)])).as(`suppressed_${r}`)),
            count(status('cancelled')).as('cancelled'),
            count(status('expired')).as('expired'),
            count(status(['queued', 'scheduled'])).as('pending'),
            count((e) => e('d.open_count', '>', 0)).as('opened'),
            count((e) => e('d.click_count', '>', 0)).as('clicked'),
            count((e) => e.and([reachedProvider(e), e('d.channel', 'in', [...OPENABLE_CHANNELS])])).as('sent_openable'),
            count((e) => e.and([reachedProvider(e), e('d.channel', 'in', [...CLICKABLE_CHANNELS])])).as('sent_clickable'),
          ];
        });
      // NULLS LAST spelt out: the databases disagree on the default (SQLite puts NULL first, PostgreSQL last).
      for (const d of dims) query = query.groupBy(sql`${d}`).orderBy(sql`${d}`, (ob) => ob.asc().nullsLast());
      const rows = (await query.execute()) as unknown as Record<string, string | number | null>[];
      return rows.map((r) => {
        const n = (k: string) => Number(r[k] ?? 0);
        const counts: AnalyticsCounts = {
          total: n('total'),
          sent: n('sent'),
          delivered: n('delivered'),
          failed: n('failed'),
          suppressed: n('suppressed'),
          suppressed_by_reason: Object.fromEntries(SUPPRESSION_REASONS.map((reason) => [reason, n(`suppressed_${reason}`)])) as Record<SuppressionReason, number>,
          cancelled: n('cancelled'),
          expired: n('expired'),
          pending: n('pending'),
          opened: n('opened'),
          clicked: n('clicked'),
          sent_openable: n('sent_openable'),
          sent_clickable: n('sent_clickable'),
        };
        for (const d of q.groupBy) {
          if (d === 'day') counts.day = Number(r.day);
          else counts[d] = r[d] === null ? null : String(r[d]);
        }
        return counts;
      });
    },

    // The dashboard's live throughput: a range of events_app_at, each joined to its delivery by primary key for the channel.
    async finishedByChannel(appId, after, upTo) {
      const rows = await db
        .selectFrom('events as e')
        .innerJoin('deliveries as d', 'd.id', 'e.delivery_id')
        .select(['d.channel', (eb) => eb.fn.countAll<number>().as('n')])
        .where('e.app_id', '=', appId)
        .where('e.at', '>', after)
        .where('e.at', '<=', upTo)
        .where('e.type', 'in', ['sent', 'failed', 'expired'])
        .groupBy('d.channel')
        .execute();
      const out = { push: 0, sms: 0, email: 0 } as Record<Channel, number>;
      for (const r of rows) if (r.channel in out) out[r.channel as Channel] = Number(r.n);
      return out;
    },
  };
}
