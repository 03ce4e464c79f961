import type { FastifyInstance } from 'fastify';
import type { NotificationsRow } from '../../ports/store.js';
import { presentNotification } from '../present.js';
import { presentFanoutNotification } from '../present-fanout.js';
import { HIDDEN, navFor, sendPage, signedIn, type DashCtx } from './context.js';
import { enc, html, jsonBlock, layout, notice, time, type Html } from './html.js';

const PAGE = 50;
const FANOUT_DELIVERIES_SHOWN = 1000;
const ID = /^[A-Za-z0-9._:@+-]{1,200}$/;
const UUID = /^[0-9a-fA-F-]{36}$/;
export const DELIVERY_STATUSES = ['scheduled', 'queued', 'sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];

interface LogFilter {
  user: string;
  template: string;
  status: string;
  since: string;
  cursor: string;
}

/** The query's filters, and what is wrong with them (shown above the form; the list is then not read). */
function readFilter(q: Record<string, unknown>): { f: LogFilter; since?: number; errors: string[] } {
  const s = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '');
  const f: LogFilter = { user: s('user'), template: s('template'), status: s('status'), since: s('since'), cursor: s('cursor') };
  const errors: string[] = [];
  if (f.user && !ID.test(f.user)) errors.push('A user id is 1–200 characters of A–Z a–z 0–9 . _ : @ + -');
  if (f.template && !ID.test(f.template)) errors.push('A template key is 1–200 characters of A–Z a–z 0–9 . _ : @ + -');
  if (f.status && !DELIVERY_STATUSES.includes(f.status)) errors.push(`Status is one of ${DELIVERY_STATUSES.join(', ')}`);
  if (f.cursor && !UUID.test(f.cursor)) f.cursor = '';
  let since: number | undefined;
  if (f.since) {
    // A datetime-local field gives no zone: the dashboard shows UTC everywhere, so it is read as UTC.
    since = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(f.since) ? f.since : `${f.since}Z`);
    if (!Number.isFinite(since)) errors.push('Since is a date and time, e.g. 2026-11-25T09:00');
  }
  return { f, since, errors };
}

const query = (f: Partial<LogFilter>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};

function logPage(nav: ReturnType<typeof navFor>, f: LogFilter, rows: NotificationsRow[] | undefined, errors: string[]): string {
  const field = (name: keyof LogFilter, label: string, hint?: string) =>
    html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${f[name]}" autocapitalize="off" spellcheck="false"${hint ? html` aria-describedby="f-${name}-hint"` : ''}>${hint ? html`<span class="hint" id="f-${name}-hint">${hint}</span>` : ''}</div>`;
  const filters = { user: f.user, template: f.template, status: f.status, since: f.since };
  const table = rows?.length
    ? html`<div class="table-wrap"><table>
<caption class="visually-hidden">Notifications, newest first</caption>
<thead><tr><th scope="col">Created</th><th scope="col">Notification</th><th scope="col">User</th><th scope="col">Template</th><th scope="col">Category</th><th scope="col">Priority</th><th scope="col">Accepted as</th></tr></thead>
<tbody>${rows.map(
        (n) =>
          html`<tr><td>${time(n.created_at)}</td><td><a href="/dashboard/notifications/${enc(n.id)}" class="mono">${n.id}</a>${n.idempotency_key ? html`<br><span class="hint">event ${n.idempotency_key}</span>` : ''}</td><td>${n.user_id ?? '—'}</td><td>${n.template ?? html`<span class="hint">inline</span>`}</td><td>${n.category ?? '—'}</td><td>${n.priority}</td><td>${n.status}</td></tr>`,
      )}</tbody>
</table></div>`
    : rows
      ? html`<p>No notifications match.</p>`
      : html``;
  const links = [
    f.cursor ? html`<a href="/dashboard/notifications${query(filters)}">Newest</a>` : '',
    rows && rows.length === PAGE ? html`<a href="/dashboard/notifications${query({ ...filters, cursor: rows[rows.length - 1].id })}">Older notifications</a>` : '',
  ].filter(Boolean);
  const pager = links.length ? html`<nav aria-label="Pages" class="pager">${links}</nav>` : '';
  return layout({
    title: 'Notifications',
    nav,
    body: html`<h1>Notifications</h1>
<form method="get" action="/dashboard/notifications" class="filters" role="search" aria-label="Filter notifications">
${field('user', 'User id')}
${field('template', 'Template key')}
<div class="field"><label for="f-status">Has a delivery that is</label><select id="f-status" name="status"><option value="">any status</option>${DELIVERY_STATUSES.map(
      (s) => html`<option value="${s}"${s === f.status ? html` selected` : ''}>${s}</option>`,
    )}</select></div>
<div class="field"><label for="f-since">Created since (UTC)</label><input id="f-since" name="since" type="datetime-local" step="1" value="${f.since.replace(/Z$/i, '')}"></div>
<div class="actions"><button type="submit">Filter</button> <a href="/dashboard/notifications">Clear</a></div>
</form>
${errors.length ? html`<div class="notice error" role="alert"><p>The filters need a fix:</p><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
<h2 class="visually-hidden">Results</h2>
${table}
${pager}`,
  });
}

type Presented = ReturnType<typeof presentNotification> & { fanout?: Record<string, unknown>; deliveries_truncated?: boolean };
type PresentedDelivery = NonNullable<Presented['deliveries']>[number];

const CHANNEL_LABEL: Record<string, string> = { push: 'Push', sms: 'SMS', email: 'Email' };

function facts(items: [string, Html | string | number | null | undefined][]): Html {
  return html`<dl class="facts">${items.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

const at = (iso: string | null) => (iso ? time(Date.parse(iso)) : null);

function deliverySection(d: PresentedDelivery, i: number): Html {
  const title = `${CHANNEL_LABEL[d.channel] ?? d.channel}${'platform' in d && d.platform ? ` (${d.platform})` : ''} to ${d.to}`;
  return html`<section class="delivery card" aria-labelledby="d-${i}">
<h3 id="d-${i}">${title} <span class="status s-${d.status}">${d.status}</span></h3>
${facts([
    ['Delivery', html`<span class="mono">${d.id}</span>`],
    ['Provider', d.provider],
    ['Reason', 'reason' in d ? d.reason : null],
    ['Attempts', d.attempts],
    ['Provider message id', d.provider_message_id],
    ['Last error', d.last_error],
    ['Next attempt', at(d.next_attempt_at)],
    ['Opens / clicks', d.channel === 'email' ? `${d.open_count} / ${d.click_count}` : null],
  ])}
<h4>Timeline</h4>
${
  d.events.length
    ? html`<ol class="timeline">${d.events.map(
        (e) => html`<li><p><strong>${e.type}</strong> ${at(e.at)}</p>${e.data && Object.keys(e.data).length ? jsonBlock(e.data) : ''}</li>`,
      )}</ol>`
    : html`<p>No events.</p>`
}
</section>`;
}

function detailPage(nav: ReturnType<typeof navFor>, n: Presented): string {
  const deliveries = n.deliveries ?? [];
  return layout({
    title: `Notification ${n.id}`,
    nav,
    body: html`<p class="crumbs"><a href="/dashboard/notifications">Notifications</a></p>
<h1>Notification <span class="mono">${n.id}</span></h1>
${facts([
  ['Status', html`<span class="status s-${n.status}">${n.status}</span>`],
  ['Event id', n.event_id],
  ['User', n.user_id],
  ['Template', n.template ? `${n.template}${n.template_version ? ` (version ${n.template_version})` : ''}` : 'inline content'],
  ['Category', n.category],
  ['Priority', n.priority],
  ['Created', at(n.created_at)],
  ['Send at', at(n.send_at)],
  ['Expires', at(n.expires_at)],
])}
${n.fanout ? html`<h2>Topic fan-out</h2>${jsonBlock(n.fanout)}${n.deliveries_truncated ? notice(`Only the first ${FANOUT_DELIVERIES_SHOWN} deliveries are shown.`) : ''}` : ''}
<h2>Deliveries (${deliveries.length})</h2>
${deliveries.length ? deliveries.map((d, i) => deliverySection(d, i)) : html`<p>No deliveries yet.</p>`}`,
  });
}

/** `GET /dashboard/notifications` (the log, filtered and paged) and `GET /dashboard/notifications/{id}` (its timeline). */
export async function notificationLogRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { store } = ctx.deps;

  app.get('/notifications', HIDDEN, async (req, reply) => {
    const { f, since, errors } = readFilter((req.query ?? {}) as Record<string, unknown>);
    const rows = errors.length
      ? undefined
      : await store.notifications.list(signedIn(req).app.id, { userId: f.user || undefined, template: f.template || undefined, status: f.status || undefined, since, before: f.cursor.toLowerCase() || undefined, limit: PAGE });
    return sendPage(reply, logPage(navFor(req, ctx, 'notifications'), f, rows, errors), { status: errors.length ? 400 : 200 });
  });

  app.get('/notifications/:id', HIDDEN, async (req, reply) => {
    const id = String((req.params as { id: string }).id).toLowerCase();
    const appId = signedIn(req).app.id;
    const nav = navFor(req, ctx, 'notifications');
    const fanout = UUID.test(id) ? await store.fanouts.get(appId, id) : undefined;
    const found = UUID.test(id) ? await store.notifications.get(appId, id, fanout ? { deliveryLimit: FANOUT_DELIVERIES_SHOWN } : undefined) : undefined;
    if (!found) {
      return sendPage(reply, layout({ title: 'Not found', nav, body: html`<h1>Not found</h1><p>This app has no notification <span class="mono">${id}</span>.</p><p><a href="/dashboard/notifications">Back to the notifications</a></p>` }), { status: 404 });
    }
    const presented: Presented = fanout
      ? presentFanoutNotification(found.notification, found.deliveries, fanout, await store.fanouts.statusCounts(fanout.id))
      : presentNotification(found.notification, found.deliveries);
    return sendPage(reply, detailPage(nav, presented));
  });
}
