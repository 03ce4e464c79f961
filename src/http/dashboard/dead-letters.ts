import type { FastifyInstance } from 'fastify';
import { PRIORITIES, type Channel, type Priority } from '../../domain/delivery.js';
import type { DeliveriesRow } from '../../ports/store.js';
import type { QueueItem } from '../../ports/queue.js';
import { HIDDEN, formOf, navFor, seeOther, sendPage, signedIn, type DashCtx } from './context.js';
import { enc, html, layout, notice, postForm, time } from './html.js';

const PAGE = 50;
const UUID = /^[0-9a-fA-F-]{36}$/;

function deadLettersPage(nav: ReturnType<typeof navFor>, rows: DeliveriesRow[], cursor: string, retried: number | undefined): string {
  const table = rows.length
    ? html`<div class="table-wrap"><table>
<caption class="visually-hidden">Deliveries that failed for good</caption>
<thead><tr><th scope="col">Failed</th><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Provider</th><th scope="col" class="num">Attempts</th><th scope="col">Reason and last error</th><th scope="col">Notification</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${rows.map(
        (d) =>
          html`<tr><td>${time(d.updated_at)}</td><td>${d.channel}${d.platform ? ` (${d.platform})` : ''}</td><td class="mono">${d.to_addr}</td><td>${d.provider || '—'}</td><td class="num">${d.attempts}</td><td>${d.reason ?? ''}${d.reason && d.last_error ? html`<br>` : ''}${d.last_error ?? ''}</td><td><a href="/dashboard/notifications/${enc(d.notification_id)}">timeline<span class="visually-hidden"> of the notification to ${d.to_addr}</span></a></td><td>${postForm(
            `/dashboard/dead-letters/${enc(d.id)}/retry`,
            nav.csrf,
            html`<button type="submit" class="secondary">Retry<span class="visually-hidden"> the ${d.channel} to ${d.to_addr}</span></button>`,
          )}</td></tr>`,
      )}</tbody>
</table></div>
${postForm(
  '/dashboard/dead-letters/retry',
  nav.csrf,
  html`${rows.map((d) => html`<input type="hidden" name="id" value="${d.id}">`)}<button type="submit">Retry all ${rows.length} shown</button>`,
  html` class="retry-all"`,
)}`
    : html`<p>No dead letters${cursor ? ' on this page' : ''}: every failed-for-good delivery of this app would be listed here.</p>`;
  const links = [
    cursor ? html`<a href="/dashboard/dead-letters">Newest</a>` : '',
    rows.length === PAGE ? html`<a href="/dashboard/dead-letters?cursor=${enc(rows[rows.length - 1].id)}">Older dead letters</a>` : '',
  ].filter(Boolean);
  return layout({
    title: 'Dead letters',
    nav,
    body: html`<h1>Dead letters</h1>
<p class="hint">Deliveries that failed for good: a permanent refusal, an invalid recipient, or every retry used up. Retrying queues one again from its first provider, with its attempts counted afresh.</p>
${retried !== undefined ? notice(retried === 0 ? 'Nothing was retried: those deliveries are no longer dead letters.' : `${retried} ${retried === 1 ? 'delivery' : 'deliveries'} queued again.`) : ''}
${table}
${links.length ? html`<nav aria-label="Pages" class="pager">${links}</nav>` : ''}`,
  });
}

/**
 * `GET /dashboard/dead-letters`, and retrying one (`POST …/{id}/retry`) or all shown (`POST …/retry`),
 * as `POST /v1/deliveries/{id}/retry` does: the Store requeues (only this app's failed deliveries),
 * then the queue is told.
 */
export async function deadLetterRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { store, queue, clock } = ctx.deps;

  async function retry(appId: string, ids: string[]): Promise<number> {
    const items: QueueItem[] = [];
    for (const id of ids) {
      const row = await store.deliveries.requeue(appId, id.toLowerCase(), clock.now());
      if (row) items.push({ deliveryId: row.id, channel: row.channel as Channel, priority: PRIORITIES[row.priority_rank] as Priority, runAt: row.run_at });
    }
    if (items.length) await queue.publish(items);
    return items.length;
  }

  app.get('/dead-letters', HIDDEN, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const cursor = typeof q.cursor === 'string' && UUID.test(q.cursor) ? q.cursor.toLowerCase() : '';
    const retried = typeof q.retried === 'string' && /^\d{1,4}$/.test(q.retried) ? Number(q.retried) : undefined;
    const rows = await store.deliveries.listDead(signedIn(req).app.id, PAGE, cursor || undefined);
    return sendPage(reply, deadLettersPage(navFor(req, ctx, 'dead-letters'), rows, cursor, retried));
  });

  app.post('/dead-letters/:id/retry', HIDDEN, async (req, reply) => {
    const id = String((req.params as { id: string }).id);
    const n = UUID.test(id) ? await retry(signedIn(req).app.id, [id]) : 0;
    return seeOther(reply, `/dashboard/dead-letters?retried=${n}`);
  });

  app.post('/dead-letters/retry', HIDDEN, async (req, reply) => {
    const ids = [...new Set(formOf(req).getAll('id'))].filter((id) => UUID.test(id)).slice(0, 200);
    return seeOther(reply, `/dashboard/dead-letters?retried=${await retry(signedIn(req).app.id, ids)}`);
  });
}
