import { CHANNELS, type Channel } from '../../domain/delivery.js';
import { enc, html, notice, postForm, type Html } from './html.js';
import { checkbox, errorNotice, textField } from './user-fields.js';
import type { CategoryRow, FormError, PreferencesForm } from './user-forms.js';

export const CHANNEL_LABEL: Record<Channel, string> = { push: 'Push', sms: 'SMS', email: 'Email' };
const ERROR_ID = 'prefs-error';

/** One row of the categories table: a checkbox per channel, checked when the category may use it. */
function categoryRow(row: CategoryRow, i: number): Html {
  return html`<tr><th scope="row"><input type="hidden" name="cat-${i}" value="${row.name}">${row.name}</th>${CHANNELS.map(
    (c) => html`<td>${checkbox(`cat-${i}-${c}`, `cat-${i}-ch`, c, html`<span class="visually-hidden">${CHANNEL_LABEL[c]} for ${row.name}</span>`, row.allowed.has(c))}</td>`,
  )}</tr>`;
}

function addedRow(row: CategoryRow, error: FormError | undefined): Html {
  return html`<tr class="added"><td>${textField('prefs', 'new_cat', 'Add a category', row.name, { error, errorId: ERROR_ID, attrs: html` maxlength="100" autocapitalize="off" spellcheck="false"` })}</td>${CHANNELS.map(
    (c) => html`<td>${checkbox(`new-cat-${c}`, 'new_cat_ch', c, html`<span class="visually-hidden">${CHANNEL_LABEL[c]} for the added category</span>`, row.allowed.has(c))}</td>`,
  )}</tr>`;
}

/** The user's channels, mute, quiet hours and category choices, saved as `PUT /v1/users/{id}/preferences` saves them. */
export function preferencesSection(userId: string, csrf: string, f: PreferencesForm, error?: FormError, saved = false): Html {
  const time = (name: 'quiet_start' | 'quiet_end', label: string, value: string) =>
    textField('prefs', name, label, value, { type: 'time', error, errorId: ERROR_ID, describedBy: 'quiet-hint' });
  return html`<section aria-labelledby="prefs-h" class="card" id="preferences">
<h2 id="prefs-h">Preferences</h2>
${saved ? notice('Preferences saved.') : ''}
${errorNotice(ERROR_ID, error)}
<p class="hint">A checked box means the user accepts it; what is not stored counts as accepted. A channel turned off stops everything on it, transactional messages too; mute and category choices do not hold back <code>transactional</code> ones.</p>
${postForm(
  `/dashboard/users/${enc(userId)}/preferences`,
  csrf,
  html`<fieldset><legend>Channels</legend><div class="checks">${CHANNELS.map((c) => checkbox(`prefs-ch-${c}`, 'channels', c, CHANNEL_LABEL[c], f.channels.has(c)))}</div></fieldset>
<div class="checks">${checkbox('prefs-mute', 'mute', 'on', 'Mute: nothing but transactional messages', f.mute)}</div>
<fieldset><legend>Quiet hours</legend>
<p class="hint" id="quiet-hint">In the user's own timezone; non-urgent deliveries wait until the end. Leave both empty for none.</p>
<div class="row">${time('quiet_start', 'From', f.quietStart)}${time('quiet_end', 'Until', f.quietEnd)}</div>
</fieldset>
<fieldset><legend>Categories</legend>
<div class="table-wrap"><table class="categories">
<caption class="visually-hidden">Channels each category may use</caption>
<thead><tr><th scope="col">Category</th>${CHANNELS.map((c) => html`<th scope="col">${CHANNEL_LABEL[c]}</th>`)}</tr></thead>
<tbody>${f.categories.map(categoryRow)}${addedRow(f.added, error)}</tbody>
</table></div>
<p class="hint">A category with every channel checked is the same as none and is not kept.</p>
</fieldset>
<button type="submit">Save preferences</button>`,
)}
</section>`;
}
