import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { NotificationBundle, Store } from '../../ports/store.js';
import { suppressOverCap, type CapClaim } from '../../domain/frequency-caps.js';
import type { DialectName } from '../dialect-name.js';
import { chunks } from '../chunks.js';

const keyOf = (r: { app_id: string; user_id: string; channel: string; window_start: number }) =>
  `${r.app_id}\u0001${r.user_id}\u0001${r.channel}\u0001${Number(r.window_start)}`;

/**
 * Decides frequency-cap claims inside the caller's transaction and returns the deliveries over their
 * cap. One upsert per chunk of counters: a new counter starts at min(requested, cap); an existing one
 * grows by what still fits, `least(used + requested, greatest(used, cap))` (a lowered cap never
 * shrinks `used`), and `granted` is that growth. Both read the row as it was before the statement
 * (SET expressions see the old row), and the row lock taken by the upsert holds until commit, so
 * concurrent transactions on PostgreSQL (and SQLite's single writer) see each other's counts: the
 * cap holds across requests and processes. Counters are written in key order so two transactions
 * never wait on each other's rows in opposite orders.
 */
export async function claimCaps(trx: Transaction<Database>, dialect: DialectName, claims: CapClaim[]): Promise<Set<string>> {
  const over = new Set<string>();
  if (claims.length === 0) return over;
  const [least, greatest] = dialect === 'postgres' ? [sql.raw('least'), sql.raw('greatest')] : [sql.raw('min'), sql.raw('max')];
  const wanted = new Map<string, { c: CapClaim; n: number }>();
  for (const c of claims) {
    const k = keyOf(c);
    const w = wanted.get(k);
    if (w) w.n++;
    else wanted.set(k, { c, n: 1 });
  }
  const rows = [...wanted.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { c, n }]) => ({
      app_id: c.app_id,
      user_id: c.user_id,
      channel: c.channel,
      window_start: c.window_start,
      window_end: c.window_end,
      used: Math.min(n, c.limit),
      cap: c.limit,
      requested: n,
      granted: Math.min(n, c.limit),
    }));
  const granted = new Map<string, number>();
  for (const part of chunks(rows, 200)) {
    const grown = sql<number>`${least}(cap_counters.used + excluded.requested, ${greatest}(cap_counters.used, excluded.cap))`;
    const back = await trx
      .insertInto('cap_counters')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['app_id', 'user_id', 'channel', 'window_start']).doUpdateSet({
          used: grown,
          granted: sql<number>`${grown} - cap_counters.used`,
          cap: sql<number>`excluded.cap`,
          requested: sql<number>`excluded.requested`,
          window_end: sql<number>`excluded.window_end`,
        }),
      )
      .returning(['app_id', 'user_id', 'channel', 'window_start', 'granted'])
      .execute();
    for (const r of back) granted.set(keyOf(r), Number(r.granted));
  }
  // First come, first served in the order the claims were planned (a batch's earlier items first).
  for (const c of claims) {
    const k = keyOf(c);
    const left = granted.get(k) ?? 0;
    if (left > 0) granted.set(k, left - 1);
    else for (const id of c.delivery_ids) over.add(id);
  }
  return over;
}

/** A bundle as written once its caps are decided: over-cap deliveries suppressed, the replay body to match. */
export function cappedBundle(b: NotificationBundle, over: ReadonlySet<string>): NotificationBundle {
  if (over.size === 0 || !b.caps?.some((c) => c.delivery_ids.some((id) => over.has(id)))) return b;
  const { deliveries, events } = suppressOverCap(b.deliveries, b.events, over);
  const response = b.responseFor ? b.responseFor(over) : b.notification.response;
  return { ...b, deliveries, events, notification: { ...b.notification, response } };
}

export function capCounterQueries(db: Kysely<Database>): Store['capCounters'] {
  return {
    async prune(now) {
      const r = await db.deleteFrom('cap_counters').where('window_end', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
