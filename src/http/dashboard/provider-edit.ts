import { PROVIDERS } from '../../channels/registry.js';
import { defaultPriority, type ProviderView } from '../../services/provider-configs.js';
import { TEST_RECIPIENT, type TestSendResult } from '../../services/provider-test-send.js';
import type { ProviderName } from '../../domain/delivery.js';
import { html, layout, notice, postForm, time, type Html, type NavState } from './html.js';
import { PROVIDER_LABEL, fieldsOf, settingsFields, valueAt, type FormState } from './provider-forms.js';

const CHANNEL_WORD = { push: 'push', sms: 'SMS', email: 'email' } as const;

/** Everything the page for one provider shows. */
export interface EditState {
  name: ProviderName;
  stored?: ProviderView;
  /** Where it stands in its channel ("Primary", "Fallback 1", "Disabled"), when stored. */
  role?: string;
  /** The sandbox emulators run in this process (a test honours the sandbox's test recipients). */
  sandbox: boolean;
  /** This provider's channel goes to the emulators for this app now. */
  emulated: boolean;
  /** HERALD_SANDBOX=1: every channel of every app does, whatever is saved. */
  forced: boolean;
  /** Values to show in the settings form (the stored ones, or what was just submitted). */
  values?: Record<string, unknown>;
  settingsError?: { message: string; field?: string };
  testTo?: string;
  testError?: string;
  result?: TestSendResult;
}

function settingsSection(s: EditState, csrf: string): Html {
  const errorId = 'settings-error';
  const values = s.values ?? s.stored?.config ?? {};
  const form: FormState = {
    values,
    storedSecrets: new Set(PROVIDERS[s.name].secrets.filter((p) => valueAt(s.stored?.config, p) !== undefined)),
    invalid: s.settingsError?.field ? { path: s.settingsError.field, errorId } : undefined,
  };
  const priority = values.priority ?? s.stored?.priority ?? defaultPriority(s.name);
  const enabled = values.enabled ?? s.stored?.enabled ?? true;
  const invalidPriority = s.settingsError?.field === 'priority';
  return html`<section aria-labelledby="settings-h" class="card">
<h2 id="settings-h">Settings</h2>
${s.settingsError ? html`<p class="notice error" role="alert" id="${errorId}">Not saved: ${errorText(s.name, s.settingsError)}</p>` : ''}
${postForm(
  `/dashboard/providers/${s.name}`,
  csrf,
  html`${settingsFields(s.name, form)}
<fieldset><legend>Failover</legend>
<div class="field"><label for="p-priority">Priority</label><p class="hint" id="p-priority-hint">${priorityHint(s.name)}</p><input id="p-priority" name="priority" type="number" inputmode="numeric" min="0" max="1000" value="${String(priority)}" aria-describedby="p-priority-hint${invalidPriority ? ` ${errorId}` : ''}"${invalidPriority ? html` aria-invalid="true"` : ''}></div>
<div class="check"><input type="checkbox" id="p-enabled" name="enabled" value="on"${enabled !== false ? html` checked` : ''}><label for="p-enabled">Enabled (takes traffic)</label></div>
</fieldset>
<button type="submit">Save ${PROVIDER_LABEL[s.name]} settings</button>`,
  html` class="provider-form" novalidate`,
)}
</section>`;
}

function priorityHint(name: ProviderName): string {
  const channel = PROVIDERS[name].channel;
  // A device token belongs to one push service, so push has no failover to order.
  if (channel === 'push') return 'Push goes to each platform’s own service, so the priority does not change where it goes.';
  return `Within the ${CHANNEL_WORD[channel]} channel, the lowest number is the primary provider and the others are fallbacks, tried in order.`;
}

/** The schema's message names the field by its path; the form shows its label. */
function errorText(name: ProviderName, e: { message: string; field?: string }): string {
  if (!e.field || !e.message.startsWith(`${e.field}: `)) return e.message;
  const label = e.field === 'priority' ? 'Priority' : fieldsOf(name).find((f) => f.path === e.field)?.label;
  return label ? `${label}: ${e.message.slice(e.field.length + 2)}` : e.message;
}

function resultNotice(r: TestSendResult): Html {
  if (r.ok) {
    return notice(
      html`<strong>${PROVIDER_LABEL[r.provider]} accepted the test</strong> to <span class="mono">${r.to}</span> in ${r.ms} ms. Message id: <span class="mono">${r.providerMessageId ?? '(none given)'}</span>.`,
    );
  }
  // A div, not the shared notice's paragraph: the answer's details are a list.
  return html`<div class="notice error" role="alert"><p><strong>${PROVIDER_LABEL[r.provider]} refused the test</strong> to <span class="mono">${r.to}</span> after ${r.ms} ms.</p>
<dl class="answer"><div><dt>Error class</dt><dd>${r.kind}</dd></div><div><dt>Message</dt><dd>${r.message}</dd></div>${r.providerCode ? html`<div><dt>Provider code</dt><dd class="mono">${r.providerCode}</dd></div>` : ''}${r.status !== undefined ? html`<div><dt>Status</dt><dd>${r.status}</dd></div>` : ''}</dl></div>`;
}

function testSection(s: EditState, csrf: string): Html {
  if (!s.stored) return html`<section aria-labelledby="test-h" class="card" id="test"><h2 id="test-h">Send a test</h2><p>Save the settings first; then a test can be sent through them.</p></section>`;
  const invalid = !!s.testError;
  return html`<section aria-labelledby="test-h" class="card" id="test">
<h2 id="test-h">Send a test</h2>
<p class="hint" id="test-hint">One message through exactly these settings${s.stored.enabled ? '' : ' (even while disabled)'}, whatever the failover order; it is not logged as a notification.${
    s.sandbox ? html` Sandbox mode is on: test recipients such as <code>reject@example.com</code> or <code>+15005550001</code> fail as the README describes.` : ''
  }</p>
${s.result ? html`<div class="test-result" id="test-result">${resultNotice(s.result)}</div>` : ''}
${invalid ? html`<p class="notice error" role="alert" id="test-error">Not sent: ${s.testError}</p>` : ''}
${postForm(
  `/dashboard/providers/${s.name}/test#test`,
  csrf,
  html`<div class="field"><label for="test-to">${TEST_RECIPIENT[s.name]}</label>${
    s.name === 'webpush'
      ? html`<textarea id="test-to" name="to" rows="4" required spellcheck="false" aria-describedby="test-hint${invalid ? ' test-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>${s.testTo ?? ''}</textarea>`
      : html`<input id="test-to" name="to" type="${PROVIDERS[s.name].channel === 'email' ? 'email' : PROVIDERS[s.name].channel === 'sms' ? 'tel' : 'text'}" value="${s.testTo ?? ''}" required spellcheck="false" autocomplete="off" aria-describedby="test-hint${invalid ? ' test-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>`
  }</div>
<button type="submit">Send test through ${PROVIDER_LABEL[s.name]}</button>`,
  html` novalidate`,
)}
</section>`;
}

function removeSection(s: EditState, csrf: string): Html {
  if (!s.stored) return html``;
  return html`<section aria-labelledby="remove-h" class="card">
<h2 id="remove-h">Remove</h2>
<p>Deletes these settings and their stored secrets. ${CHANNEL_WORD[PROVIDERS[s.name].channel]} traffic then goes to the channel’s other providers, if any.</p>
${postForm(`/dashboard/providers/${s.name}/delete`, csrf, html`<button type="submit" class="danger">Delete the ${PROVIDER_LABEL[s.name]} settings</button>`)}
</section>`;
}

/** Where this channel's deliveries go while the sandbox has it (decided per app unless HERALD_SANDBOX=1). */
function sandboxHint(s: EditState, channel: keyof typeof CHANNEL_WORD): Html {
  if (s.forced) {
    return html`<p class="hint">Sandbox mode is on (<code>HERALD_SANDBOX=1</code>): deliveries go to the built-in emulators, and these settings take over when Herald runs without it. Tests below use these settings already.</p>`;
  }
  if (!s.emulated) return html``;
  return html`<p class="hint">This app has no ${CHANNEL_WORD[channel]} provider saved, so its ${CHANNEL_WORD[channel]} goes to the built-in emulators; once these settings are saved they take over this app's ${CHANNEL_WORD[channel]} (other apps are not affected).</p>`;
}

export function providerEditPage(nav: NavState, s: EditState): string {
  const channel = PROVIDERS[s.name].channel;
  const status = s.stored
    ? html`<p>${s.role ? html`<strong>${s.role}</strong> for ${CHANNEL_WORD[channel]}; ` : ''}${s.stored.enabled ? 'enabled' : 'disabled'}; priority ${s.stored.priority}; saved ${time(s.stored.updated_at)}.</p>`
    : html`<p>Not configured for this app yet.</p>`;
  return layout({
    title: `${PROVIDER_LABEL[s.name]} · Providers`,
    nav,
    styles: ['providers.css'],
    body: html`<p class="crumbs"><a href="/dashboard/providers">Providers</a></p>
<h1>${PROVIDER_LABEL[s.name]} <span class="sub">(${CHANNEL_WORD[channel]})</span></h1>
${status}
${sandboxHint(s, channel)}
${settingsSection(s, nav.csrf)}
${testSection(s, nav.csrf)}
${removeSection(s, nav.csrf)}`,
  });
}
