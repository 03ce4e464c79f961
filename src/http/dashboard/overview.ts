import type { FastifyInstance } from 'fastify';
import { CHANNELS, CHANNEL_PROVIDERS, type Channel } from '../../domain/delivery.js';
import type { AlertsRow, ChannelQueueStats } from '../../ports/store.js';
import { HIDDEN, navFor, sendPage, signedIn, type DashCtx } from './context.js';
import { ageText, html, layout, showTime, time, type Html } from './html.js';
import { legend, lineChart, type Series } from './chart.js';
import type { Sample } from './sampler.js';

const CHANNEL_LABEL: Record<Channel, string> = { push: 'Push', sms: 'SMS', email: 'Email' };
const CIRCUIT_LABEL: Record<string, string> = { closed: 'closed (healthy)', open: 'open (paused)', half_open: 'half-open (probing)' };
const providerChannel = (p: string) => CHANNELS.find((c) => CHANNEL_PROVIDERS[c].includes(p as never)) ?? '';

/** Every figure the script refreshes, by the `data-stat` name of the element that shows it. */
function figures(ctx: DashCtx, appId: string, sample: Sample): Record<string, string> {
  const out: Record<string, string> = { updated: showTime(sample.at) };
  for (const s of sample.stats) {
    out[`${s.channel}.depth`] = String(s.depth);
    out[`${s.channel}.oldest`] = s.depth ? ageText(s.oldest_age_ms) : '—';
    out[`${s.channel}.in_flight`] = String(s.in_flight);
    out[`${s.channel}.scheduled`] = String(s.scheduled);
    out[`${s.channel}.dead`] = String(s.dead);
  }
  for (const h of ctx.deps.providers.health(appId)) {
    out[`${h.provider}.circuit`] = CIRCUIT_LABEL[h.circuit] ?? h.circuit;
    out[`${h.provider}.failure`] = `${Math.round(h.failure_rate * 100)} %`;
  }
  return out;
}

function charts(ctx: DashCtx, appId: string): { throughput: Html; depth: Html } {
  const samples = ctx.sampler.samples(appId);
  const rates = ctx.sampler.throughput(appId);
  const end = samples.length ? samples[samples.length - 1].at : ctx.deps.clock.now();
  // The window grows with the ring, from one minute to its full length, so a fresh chart is not a speck at the right edge.
  const elapsed = samples.length ? end - samples[0].at : 0;
  const spanMs = Math.min(ctx.sampler.opts.everyMs * ctx.sampler.opts.keep, Math.max(60_000, Math.ceil(elapsed / 60_000) * 60_000));
  const depth: Series[] = CHANNELS.map((channel) => ({
    channel,
    points: samples.flatMap((s: Sample) => {
      const v = s.stats.find((x: ChannelQueueStats) => x.channel === channel)?.depth;
      return v === undefined ? [] : [{ at: s.at, value: v }];
    }),
  }));
  const throughput: Series[] = CHANNELS.map((channel) => ({ channel, points: rates.map((p) => ({ at: p.at, value: p.perSecond[channel] })) }));
  return {
    throughput: lineChart({ id: 'chart-throughput', title: "This app's deliveries finished per second", unit: 'deliveries per second', end, spanMs, series: throughput }),
    depth: lineChart({ id: 'chart-depth', title: "This app's queue depth", unit: 'deliveries waiting', end, spanMs, series: depth }),
  };
}

/** The app's raised alerts (thresholds in PUT /v1/settings `alerts`), replaced as a whole by the live refresh. */
function alertsFragment(alerts: AlertsRow[]): Html {
  const body = alerts.length
    ? html`<div class="table-wrap"><table>
<caption class="visually-hidden">Open alerts</caption>
<thead><tr><th scope="col">Alert</th><th scope="col" class="num">Value</th><th scope="col" class="num">Threshold</th><th scope="col">Raised</th></tr></thead>
<tbody>${alerts.map((a) => html`<tr><th scope="row" class="mono">${a.key}</th><td class="num">${a.value ?? '—'}</td><td class="num">${a.threshold ?? '—'}</td><td>${time(a.raised_at)}</td></tr>`)}</tbody>
</table></div>`
    : html`<p>No open alerts.</p>`;
  return html`<div id="alerts-list">${body}</div>`;
}

function overviewPage(ctx: DashCtx, nav: ReturnType<typeof navFor>, appId: string, sample: Sample, alerts: AlertsRow[]): string {
  const f = figures(ctx, appId, sample);
  const stat = (key: string) => html`<span data-stat="${key}">${f[key] ?? '—'}</span>`;
  const c = charts(ctx, appId);
  const health = ctx.deps.providers.health(appId);
  return layout({
    title: 'Overview',
    nav,
    live: true,
    body: html`<h1>Overview</h1>
<div class="live" data-live="/dashboard/api/overview">
<p class="updated"><span>Figures as of ${stat('updated')}.</span> <span class="nojs">Reload the page for newer ones.</span> <button type="button" class="secondary" data-live-toggle hidden aria-pressed="false">Pause live updates</button></p>
<p class="live-status" data-live-status role="status"></p>

<section aria-labelledby="queues-h">
<h2 id="queues-h">Queues</h2>
<p class="hint">This app's own deliveries in the queues (other apps' are not shown); <a href="/dashboard/dead-letters">its dead letters</a> are listed on their own page.</p>
<div class="table-wrap"><table>
<caption class="visually-hidden">Queue figures per channel</caption>
<thead><tr><th scope="col">Channel</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">Oldest waiting</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Scheduled</th><th scope="col" class="num">Dead</th></tr></thead>
<tbody>${CHANNELS.map(
      (ch) =>
        html`<tr><th scope="row">${CHANNEL_LABEL[ch]}</th><td class="num">${stat(`${ch}.depth`)}</td><td class="num">${stat(`${ch}.oldest`)}</td><td class="num">${stat(`${ch}.in_flight`)}</td><td class="num">${stat(`${ch}.scheduled`)}</td><td class="num">${stat(`${ch}.dead`)}</td></tr>`,
    )}</tbody>
</table></div>
</section>

<section aria-labelledby="charts-h">
<h2 id="charts-h">Throughput and queue depth</h2>
<p class="hint">Sampled every 2 seconds while the dashboard is open. Throughput is this app's deliveries sent, failed or expired per second, counted in the log (every worker process's), and drawn 3 seconds behind the clock so each point is complete; queue depth is this app's deliveries waiting.</p>
${legend()}
<div class="charts">
<figure><div data-chart="throughput">${c.throughput}</div><figcaption>This app's deliveries finished per second, per channel</figcaption></figure>
<figure><div data-chart="depth">${c.depth}</div><figcaption>Deliveries waiting in the queue, per channel</figcaption></figure>
</div>
</section>

<section aria-labelledby="alerts-h">
<h2 id="alerts-h">Open alerts</h2>
<p class="hint">Raised when a queue's depth or oldest age, a provider's failure rate or the dead letters per hour pass this app's thresholds (<code>alerts</code> in <code>PUT /v1/settings</code>); each also goes to webhooks and the log as <code>alert.raised</code> / <code>alert.resolved</code>.</p>
${alertsFragment(alerts)}
</section>

<section aria-labelledby="providers-h">
<h2 id="providers-h">Provider health</h2>
<p class="hint">Each provider's circuit breaker for this app: it opens at a 50 % failure rate over the last 50 answers, and traffic fails over meanwhile.${nav.sandbox ? ' Channels on the sandbox are served by the built-in emulators.' : ''}</p>
<div class="table-wrap"><table>
<caption class="visually-hidden">Provider circuit breakers</caption>
<thead><tr><th scope="col">Provider</th><th scope="col">Channel</th><th scope="col">Circuit</th><th scope="col" class="num">Failure rate</th></tr></thead>
<tbody>${health.map(
      (h) =>
        html`<tr><th scope="row">${h.provider}</th><td>${CHANNEL_LABEL[providerChannel(h.provider) as Channel] ?? ''}</td><td>${stat(`${h.provider}.circuit`)}</td><td class="num">${stat(`${h.provider}.failure`)}</td></tr>`,
    )}</tbody>
</table></div>
</section>
</div>`,
  });
}

/** `GET /dashboard` and the JSON its script polls, `GET /dashboard/api/overview`. */
export async function overviewRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  app.get('/', HIDDEN, async (req, reply) => {
    const appId = signedIn(req).app.id;
    const [sample, alerts] = await Promise.all([ctx.sampler.want(appId), ctx.deps.store.alerts.open(appId)]);
    return sendPage(reply, overviewPage(ctx, navFor(req, ctx, 'overview'), appId, sample, alerts));
  });

  app.get('/api/overview', HIDDEN, async (req, reply) => {
    const appId = signedIn(req).app.id;
    const [sample, alerts] = await Promise.all([ctx.sampler.want(appId), ctx.deps.store.alerts.open(appId)]);
    const c = charts(ctx, appId);
    return reply.header('cache-control', 'no-store').send({
      at: new Date(sample.at).toISOString(),
      stats: figures(ctx, appId, sample),
      svg: { throughput: c.throughput.value, depth: c.depth.value },
      fragments: { 'alerts-list': alertsFragment(alerts).value },
    });
  });
}
