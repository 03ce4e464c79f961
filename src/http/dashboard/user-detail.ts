import type { DevicesRow, NotificationsRow, TopicSubscriptionsRow, UsersRow } from '../../ports/store.js';
import type { navFor } from './context.js';
import { enc, html, jsonBlock, layout, notice, postForm, time, type Html } from './html.js';
import { devicesSection } from './user-devices.js';
import { errorNotice, textField } from './user-fields.js';
import { contactFormOf, preferencesFormOf, DEFAULT_TEST, type ContactForm, type FormError, type PreferencesForm, type TestForm } from './user-forms.js';
import { preferencesSection } from './user-preferences.js';
import { testSendSection } from './user-test-send.js';
import { preferencesOf } from '../routes/users.js';

/** What the page shows of one user, read from the Store for the signed-in app. */
export interface UserView {
  user: UsersRow;
  devices: DevicesRow[];
  topics: TopicSubscriptionsRow[];
  recent: NotificationsRow[];
}

/** A refused form is shown again as it was typed, with its error; the other forms show what is stored. */
export interface FormStates {
  contacts?: { form: ContactForm; error?: FormError };
  preferences?: { form: PreferencesForm; error?: FormError };
  test?: { form: TestForm; error?: FormError };
  saved?: 'contacts' | 'preferences';
}

export const RECENT_SHOWN = 10;
const CONTACT_ERROR = 'contacts-error';

function contactsSection(u: UsersRow, csrf: string, f: ContactForm, error: FormError | undefined, saved: boolean): Html {
  const field = (name: keyof ContactForm, label: string, type: string, hint: string | undefined, attrs: Html) =>
    textField('contact', name, label, f[name], { type, hint, error, errorId: CONTACT_ERROR, attrs });
  const data = u.data ? (JSON.parse(u.data) as Record<string, unknown>) : {};
  return html`<section aria-labelledby="contacts-h" class="card" id="contacts">
<h2 id="contacts-h">Contacts</h2>
${saved ? notice('Contacts saved.') : ''}
${errorNotice(CONTACT_ERROR, error)}
${postForm(
  `/dashboard/users/${enc(u.id)}/contacts`,
  csrf,
  html`<div class="row">
${field('name', 'Name', 'text', undefined, html` maxlength="200" autocomplete="off"`)}
${field('email', 'Email address', 'email', undefined, html` maxlength="254" autocomplete="off" spellcheck="false"`)}
${field('phone', 'Phone number', 'tel', 'E.164, e.g. +14155552671', html` maxlength="32" autocomplete="off"`)}
</div>
<div class="row">
${field('locale', 'Locale', 'text', 'e.g. en, pt-BR: picks a template’s translation', html` autocapitalize="off" spellcheck="false"`)}
${field('timezone', 'Timezone', 'text', 'IANA name, e.g. Europe/Berlin: for quiet hours and local-time sends', html` maxlength="64" autocapitalize="off" spellcheck="false"`)}
</div>
<p class="hint">An empty field clears it. The same rules as <code>PUT /v1/users/{id}</code> apply.</p>
<button type="submit">Save contacts</button>`,
)}
<dl class="facts user-facts"><div><dt>Created</dt><dd>${time(u.created_at)}</dd></div><div><dt>Updated</dt><dd>${time(u.updated_at)}</dd></div></dl>
${Object.keys(data).length ? html`<details><summary>Custom data</summary>${jsonBlock(data)}</details>` : ''}
</section>`;
}

function topicsSection(topics: TopicSubscriptionsRow[]): Html {
  return html`<section aria-labelledby="topics-h" class="card" id="topics">
<h2 id="topics-h">Topics</h2>
${
  topics.length
    ? html`<ul class="topics">${topics.map((t) => html`<li><span class="mono">${t.topic}</span> <span class="hint">since ${time(t.created_at)}</span></li>`)}</ul>`
    : html`<p>Not subscribed to any topic.</p>`
}
</section>`;
}

function recentSection(userId: string, rows: NotificationsRow[]): Html {
  const table = rows.length
    ? html`<div class="table-wrap"><table>
<caption class="visually-hidden">This user's latest notifications, newest first</caption>
<thead><tr><th scope="col">Created</th><th scope="col">Notification</th><th scope="col">Template</th><th scope="col">Category</th><th scope="col">Accepted as</th></tr></thead>
<tbody>${rows.map(
        (n) =>
          html`<tr><td>${time(n.created_at)}</td><td><a href="/dashboard/notifications/${enc(n.id)}" class="mono">${n.id}</a></td><td>${n.template ?? html`<span class="hint">inline</span>`}</td><td>${n.category ?? '—'}</td><td>${n.status}</td></tr>`,
      )}</tbody>
</table></div>`
    : html`<p>No notifications to this user yet.</p>`;
  return html`<section aria-labelledby="recent-h" class="card" id="recent">
<h2 id="recent-h">Recent notifications</h2>
${table}
<p><a href="/dashboard/notifications?user=${enc(userId)}">All notifications of this user</a></p>
</section>`;
}

export function userPage(nav: ReturnType<typeof navFor>, v: UserView, s: FormStates = {}): string {
  const u = v.user;
  const refused = s.contacts?.error ?? s.preferences?.error ?? s.test?.error;
  return layout({
    title: `${refused ? 'Error: ' : ''}User ${u.id}`,
    nav,
    styles: ['users.css'],
    body: html`<p class="crumbs"><a href="/dashboard/users">Users</a></p>
<h1>User <span class="mono">${u.id}</span>${u.name ? html` <span class="subtitle">${u.name}</span>` : ''}</h1>
<nav aria-label="On this page" class="on-page"><ul><li><a href="#contacts">Contacts</a></li><li><a href="#devices">Devices</a></li><li><a href="#preferences">Preferences</a></li><li><a href="#topics">Topics</a></li><li><a href="#test">Send a test</a></li><li><a href="#recent">Recent notifications</a></li></ul></nav>
${contactsSection(u, nav.csrf, s.contacts?.form ?? contactFormOf(u), s.contacts?.error, s.saved === 'contacts')}
${devicesSection(v.devices)}
${preferencesSection(u.id, nav.csrf, s.preferences?.form ?? preferencesFormOf(preferencesOf(u)), s.preferences?.error, s.saved === 'preferences')}
${topicsSection(v.topics)}
${testSendSection(u.id, nav.csrf, s.test?.form ?? DEFAULT_TEST, s.test?.error)}
${recentSection(u.id, v.recent)}`,
  });
}

export function userNotFoundPage(nav: ReturnType<typeof navFor>, id: string): string {
  return layout({
    title: 'Not found',
    nav,
    body: html`<h1>Not found</h1><p>This app has no user <span class="mono">${id}</span>.</p><p><a href="/dashboard/users">Back to the users</a></p>`,
  });
}
