import { PROVIDERS } from '../../channels/registry.js';
import { CHANNEL_PROVIDERS, PLATFORMS, PUSH_PROVIDER, type Channel, type Platform, type ProviderName } from '../../domain/delivery.js';
import type { ProviderView } from '../../services/provider-configs.js';
import type { ProviderHealth } from '../../services/provider-directory.js';
import { html, layout, notice, postForm, type Html, type NavState } from './html.js';
import { PROVIDER_LABEL, settingsSummary } from './provider-forms.js';

const CIRCUIT: Record<string, string> = { closed: 'closed (healthy)', open: 'open (paused)', half_open: 'half-open (probing)' };
const PLATFORM_LABEL: Record<Platform, string> = { ios: 'iOS devices', android: 'Android devices', web: 'Web browsers' };
const QUEUED: Channel[] = ['sms', 'email'];
const CHANNEL_LABEL: Record<Channel, string> = { push: 'Push', sms: 'SMS', email: 'Email' };

export interface ProvidersPageData {
  /** This app's stored settings, lowest priority first. */
  saved: ProviderView[];
  /** The emulators serving this app's channels (all under HERALD_SANDBOX=1, else those it saved nothing for), in their order. */
  inUse?: { name: ProviderName; enabled: boolean }[];
  /** HERALD_SANDBOX=1: the emulators serve every channel whatever is saved. */
  forced?: boolean;
  health: ProviderHealth[];
  flash?: { kind: 'saved' | 'deleted' | 'moved' | 'unmoved'; name: ProviderName };
}

/**
 * Each provider's place in its channel, as the worker tries them: for SMS and email the enabled ones
 * by priority (the first is primary, the rest fallbacks); a push platform has exactly one service.
 */
export function rolesOf(list: { name: ProviderName; enabled: boolean }[]): Map<ProviderName, string> {
  const roles = new Map<ProviderName, string>();
  for (const ch of QUEUED) {
    let i = 0;
    for (const p of list.filter((x) => PROVIDERS[x.name].channel === ch)) roles.set(p.name, !p.enabled ? 'Disabled' : i++ === 0 ? 'Primary' : `Fallback ${i - 1}`);
  }
  for (const p of list.filter((x) => PROVIDERS[x.name].channel === 'push')) roles.set(p.name, p.enabled ? 'Primary' : 'Disabled');
  return roles;
}

function healthCells(h: ProviderHealth | undefined): Html {
  return html`<td>${h ? CIRCUIT[h.circuit] ?? h.circuit : '—'}</td><td class="num">${h ? `${Math.round(h.failure_rate * 100)} %` : '—'}</td>`;
}

function summary(v: ProviderView): Html {
  const pairs = settingsSummary(v.name, v.config);
  return html`<dl class="settings">${pairs.map((p) => html`<div><dt>${p.label}:</dt> <dd>${p.value}</dd></div>`)}</dl>`;
}

function moveButtons(v: ProviderView, i: number, count: number, csrf: string): Html {
  const button = (direction: 'up' | 'down', label: string) =>
    postForm(
      `/dashboard/providers/${v.name}/move`,
      csrf,
      html`<input type="hidden" name="direction" value="${direction}"><button type="submit" class="secondary">${label}<span class="visually-hidden"> ${PROVIDER_LABEL[v.name]}</span></button>`,
    );
  return html`<div class="moves">${i > 0 ? button('up', 'Move up') : ''}${i < count - 1 ? button('down', 'Move down') : ''}</div>`;
}

/** SMS or email: the saved providers in failover order, with the buttons that change it. */
function queuedTable(ch: Channel, saved: ProviderView[], roles: Map<ProviderName, string>, health: Map<ProviderName, ProviderHealth> | undefined, csrf: string): Html {
  const rows = saved.filter((v) => v.channel === ch);
  if (!rows.length) return html`<p>No ${ch === 'sms' ? 'SMS' : 'email'} provider is configured for this app: ${ch === 'sms' ? 'text messages' : 'emails'} cannot be sent. Configure ${CHANNEL_PROVIDERS[ch].map((n, i) => html`${i ? ' or ' : ''}<a href="/dashboard/providers/${n}">${PROVIDER_LABEL[n]}</a>`)}.</p>`;
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">${CHANNEL_LABEL[ch]} providers in failover order</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Provider</th><th scope="col" class="num">Priority</th>${health ? html`<th scope="col">Circuit</th><th scope="col" class="num">Failure rate</th>` : ''}<th scope="col">Settings</th><th scope="col">Order</th></tr></thead>
<tbody>${rows.map(
    (v, i) =>
      html`<tr${v.enabled ? '' : html` class="disabled"`}><th scope="row">${roles.get(v.name)}</th><td><a href="/dashboard/providers/${v.name}">${PROVIDER_LABEL[v.name]}</a></td><td class="num">${v.priority}</td>${health ? healthCells(health.get(v.name)) : ''}<td>${summary(v)}</td><td>${moveButtons(v, i, rows.length, csrf)}</td></tr>`,
  )}</tbody>
</table></div>`;
}

/** Push: one service per platform, no fallback (a device token belongs to one service). */
function pushTable(saved: ProviderView[], roles: Map<ProviderName, string>, health: Map<ProviderName, ProviderHealth> | undefined): Html {
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Push providers per platform</caption>
<thead><tr><th scope="col">Platform</th><th scope="col">Provider</th><th scope="col">Role</th>${health ? html`<th scope="col">Circuit</th><th scope="col" class="num">Failure rate</th>` : ''}<th scope="col">Settings</th></tr></thead>
<tbody>${PLATFORMS.map((platform) => {
    const name = PUSH_PROVIDER[platform];
    const v = saved.find((x) => x.name === name);
    if (!v) {
      return html`<tr><th scope="row">${PLATFORM_LABEL[platform]}</th><td>${PROVIDER_LABEL[name]}</td><td>Not configured: ${PLATFORM_LABEL[platform]} cannot be reached. <a href="/dashboard/providers/${name}">Configure ${PROVIDER_LABEL[name]}</a></td>${health ? html`<td>—</td><td class="num">—</td>` : ''}<td></td></tr>`;
    }
    return html`<tr${v.enabled ? '' : html` class="disabled"`}><th scope="row">${PLATFORM_LABEL[platform]}</th><td><a href="/dashboard/providers/${name}">${PROVIDER_LABEL[name]}</a></td><td>${roles.get(name)} (no fallback)</td>${health ? healthCells(health.get(name)) : ''}<td>${summary(v)}</td></tr>`;
  })}</tbody>
</table></div>`;
}

/** What the emulators serve for this app, with their circuits. */
function inUseSection(inUse: { name: ProviderName; enabled: boolean }[], health: Map<ProviderName, ProviderHealth>, forced: boolean): Html {
  const roles = rolesOf(inUse);
  const rows = (['push', ...QUEUED] as Channel[]).flatMap((ch) => inUse.filter((p) => PROVIDERS[p.name].channel === ch).map((p) => ({ ch, p })));
  return html`<section aria-labelledby="in-use-h" class="card">
<h2 id="in-use-h">In use now: the sandbox emulators</h2>
${
    forced
      ? html`<p class="hint">Sandbox mode is on (<code>HERALD_SANDBOX=1</code>), so every channel goes to Herald’s built-in emulators, whatever is saved below. The saved settings take over when Herald runs without it.</p>`
      : html`<p class="hint">This app has no provider saved for these channels, so they go to Herald’s built-in emulators. Saving a provider moves its channel to it, for this app only.</p>`
  }
<div class="table-wrap"><table>
<caption class="visually-hidden">Sandbox providers in failover order</caption>
<thead><tr><th scope="col">Channel</th><th scope="col">Role</th><th scope="col">Provider</th><th scope="col">Circuit</th><th scope="col" class="num">Failure rate</th></tr></thead>
<tbody>${rows.map(({ ch, p }) => {
    const platform = PLATFORMS.find((x) => PUSH_PROVIDER[x] === p.name);
    return html`<tr><td>${CHANNEL_LABEL[ch]}${platform ? html` (${PLATFORM_LABEL[platform]})` : ''}</td><td>${roles.get(p.name)}${platform ? ' (no fallback)' : ''}</td><th scope="row">${PROVIDER_LABEL[p.name]}</th>${healthCells(health.get(p.name))}</tr>`;
  })}</tbody>
</table></div>
</section>`;
}

function flashNotice(f: ProvidersPageData['flash']): Html {
  if (!f) return html``;
  const label = PROVIDER_LABEL[f.name];
  const text = { saved: `${label} settings saved.`, deleted: `${label} settings deleted.`, moved: `${label} moved.`, unmoved: `${label} is already at that end of the order.` }[f.kind];
  return notice(text);
}

function configureList(saved: ProviderView[]): Html {
  const has = new Set(saved.map((v) => v.name));
  return html`<section aria-labelledby="configure-h">
<h2 id="configure-h">Configure a provider</h2>
<ul class="provider-links">${(['push', ...QUEUED] as Channel[]).map(
    (ch) =>
      html`<li><span class="channel">${CHANNEL_LABEL[ch]}:</span> ${CHANNEL_PROVIDERS[ch].map(
        (n, i) => html`${i ? ', ' : ''}<a href="/dashboard/providers/${n}">${has.has(n) ? 'Edit' : 'Add'} ${PROVIDER_LABEL[n]}</a>`,
      )}</li>`,
  )}</ul>
</section>`;
}

export function providersPage(nav: NavState, d: ProvidersPageData): string {
  const roles = rolesOf(d.saved);
  const byName = new Map(d.health.map((h) => [h.provider, h]));
  // In sandbox mode the circuits belong to the emulators, not to the saved settings.
  const savedHealth = d.inUse ? undefined : byName;
  return layout({
    title: 'Providers',
    nav,
    styles: ['providers.css'],
    body: html`<h1>Providers</h1>
${flashNotice(d.flash)}
<p class="hint">SMS and email try their providers in order: the primary first, then each fallback when a provider fails or its circuit is open (50 % failures over the last 50 answers). Push goes to each platform’s own service. Secrets are stored encrypted and never shown.</p>
${d.inUse ? inUseSection(d.inUse, byName, !!d.forced) : ''}
<section aria-labelledby="saved-h">
<h2 id="saved-h">${d.inUse ? 'Saved for this app' : 'This app’s providers'}</h2>
<section aria-labelledby="push-h"><h3 id="push-h">Push</h3>${pushTable(d.saved, roles, savedHealth)}</section>
${QUEUED.map((ch) => html`<section aria-labelledby="${ch}-h"><h3 id="${ch}-h">${CHANNEL_LABEL[ch]}</h3>${queuedTable(ch, d.saved, roles, savedHealth, nav.csrf)}</section>`)}
</section>
${configureList(d.saved)}`,
  });
}
