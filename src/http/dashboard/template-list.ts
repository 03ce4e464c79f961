import type { TemplatesRow } from '../../ports/store.js';
import { KEY_RULE, channelsOf, localesOf } from './template-form.js';
import { templateHref } from './template-editor.js';
import { enc, html, layout, time, type Html, type NavState } from './html.js';

export const LIST_PAGE = 100;

const CHANNEL_LABEL: Record<string, string> = { push: 'push', web: 'web push', sms: 'SMS', email: 'email' };

function row(t: TemplatesRow): Html {
  const channels = Object.keys(channelsOf(t)).map((c) => CHANNEL_LABEL[c] ?? c);
  const locales = Object.keys(localesOf(t));
  return html`<tr><th scope="row"><a href="${templateHref(t.key)}" class="mono">${t.key}</a></th><td>${t.category ?? '—'}</td><td>${channels.join(', ')}</td><td>${
    locales.length ? locales.map((l, i) => html`${i ? ', ' : ''}<a href="${templateHref(t.key, l)}">${l}</a>`) : '—'
  }</td><td class="num"><a href="${templateHref(t.key)}/versions">${t.version}<span class="visually-hidden"> (history of ${t.key})</span></a></td><td>${time(t.created_at)}</td></tr>`;
}

/** `GET /dashboard/templates`: the app's templates in key order, and the form that starts a new one. */
export function listPage(nav: NavState, rows: TemplatesRow[], after: string, form: { key: string; error?: Html }): string {
  const table = rows.length
    ? html`<div class="table-wrap"><table>
<caption class="visually-hidden">Templates, by key</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Category</th><th scope="col">Channels</th><th scope="col">Locales</th><th scope="col" class="num">Version</th><th scope="col">Updated</th></tr></thead>
<tbody>${rows.map(row)}</tbody>
</table></div>`
    : html`<p>${after ? 'No more templates.' : 'No templates yet. Create one above, or with PUT /v1/templates/{key}.'}</p>`;
  const links = [
    after ? html`<a href="/dashboard/templates">First page</a>` : '',
    rows.length === LIST_PAGE ? html`<a href="/dashboard/templates?after=${enc(rows[rows.length - 1].key)}">More templates</a>` : '',
  ].filter(Boolean);
  return layout({
    title: 'Templates',
    nav,
    styles: ['templates.css'],
    body: html`<h1>Templates</h1>
<section class="card new-template" aria-labelledby="new-h">
<h2 id="new-h">New template</h2>
<form method="get" action="/dashboard/new-template">
<div class="field"><label for="new-key">Key</label><input id="new-key" name="key" value="${form.key}" required maxlength="200" autocomplete="off" spellcheck="false" aria-describedby="new-key-hint${form.error ? ' new-key-error' : ''}"${form.error ? html` aria-invalid="true"` : ''}>
<span class="hint" id="new-key-hint">${KEY_RULE}, e.g. order_shipped.</span>
${form.error ? html`<p class="field-error" id="new-key-error" role="alert">${form.error}</p>` : ''}</div>
<button type="submit">Create</button>
</form>
</section>
<h2>All templates</h2>
${table}
${links.length ? html`<nav aria-label="Pages" class="pager">${links}</nav>` : ''}`,
  });
}
