import type { DevicesRow } from '../../ports/store.js';
import { html, time, type Html } from './html.js';

const PLATFORM_LABEL: Record<string, string> = { ios: 'iOS', android: 'Android', web: 'Web browser' };

/**
 * Why a device was deactivated, in words: the worker stores the provider's own code (services/deliver.ts,
 * onDeadTarget), which is exact but terse. Unknown codes are shown as they are.
 */
const REASONS: Record<string, string> = {
  Unregistered: 'APNs said the token is no longer registered (the app was removed, or the user turned notifications off for good).',
  BadDeviceToken: 'APNs said the token is not valid for this app and environment.',
  ExpiredToken: 'APNs said the token has expired.',
  UNREGISTERED: 'FCM said the token is no longer registered (the app was uninstalled, or the token expired).',
  INVALID_ARGUMENT: 'FCM said the registration token is not valid.',
  HTTP404: 'The push service said the subscription does not exist.',
  HTTP410: 'The push service said the subscription has ended (the browser unsubscribed, or it expired).',
  InvalidSubscription: 'The stored web subscription lacks its keys or is not an https endpoint.',
  invalid_endpoint: 'The subscription endpoint is, or resolves to, a loopback or private address, which Herald does not connect to for an app.',
  sandbox_invalid_recipient: 'The sandbox answered as a provider does for an unregistered token (a sandbox test token, e.g. one ending in deaddead).',
  invalid_recipient: 'The provider said this device does not exist.',
};

/** Enough of a token to tell devices apart (and to match it with a provider's logs) without a wall of hex. */
export function shortToken(d: DevicesRow): string {
  if (d.platform === 'web') {
    let host = '';
    try {
      host = new URL(d.token).host;
    } catch {
      /* shown without a host */
    }
    return `${host}…${d.token.slice(-8)}`;
  }
  return d.token.length > 20 ? `${d.token.slice(0, 8)}…${d.token.slice(-8)}` : d.token;
}

function state(d: DevicesRow): Html {
  if (d.active === 1) return html`<span class="state state-active">Active</span>`;
  const reason = d.deactivated_reason;
  return html`<span class="state state-off">Deactivated</span> ${time(d.updated_at)}${
    reason ? html`<p class="reason">${REASONS[reason] ?? 'The provider refused this device for good.'} <span class="hint">Code: <code>${reason}</code></span></p>` : ''
  }`;
}

export function devicesSection(devices: DevicesRow[]): Html {
  const active = devices.filter((d) => d.active === 1).length;
  const table = devices.length
    ? html`<div class="table-wrap"><table class="devices-table">
<caption class="visually-hidden">Devices of this user</caption>
<thead><tr><th scope="col">Platform</th><th scope="col">Token</th><th scope="col">State</th><th scope="col">Registered</th><th scope="col">Last seen</th></tr></thead>
<tbody>${devices.map(
        (d) =>
          html`<tr class="${d.active === 1 ? 'device-active' : 'device-off'}"><td>${PLATFORM_LABEL[d.platform] ?? d.platform}</td><td class="mono">${shortToken(d)}</td><td>${state(d)}</td><td>${time(d.created_at)}</td><td>${d.active === 1 ? time(d.updated_at) : html`—`}</td></tr>`,
      )}</tbody>
</table></div>
<p class="hint">Last seen: when the app last registered the token. Push goes to active devices only; a device is deactivated when its provider says the token is dead, and registering it again reactivates it.</p>`
    : html`<p>No devices: push notifications to this user are suppressed (<code>no_contact</code>).</p>`;
  return html`<section aria-labelledby="devices-h" class="card" id="devices">
<h2 id="devices-h">Devices <span class="count">(${active} active of ${devices.length})</span></h2>
${table}
</section>`;
}
