import { CHANNELS } from '../../domain/delivery.js';
import { enc, html, postForm, type Html } from './html.js';
import { errorNotice, radio, textField } from './user-fields.js';
import type { FormError, TestForm } from './user-forms.js';
import { CHANNEL_LABEL } from './user-preferences.js';

const ERROR_ID = 'test-error';

function textArea(name: 'message' | 'params', label: string, value: string, error: FormError | undefined, attrs: Html): Html {
  const invalid = error?.field === name;
  return html`<div class="field"><label for="test-${name}">${label}</label><textarea id="test-${name}" name="${name}" rows="3"${
    invalid ? html` aria-invalid="true" aria-describedby="${ERROR_ID}" autofocus` : ''
  }${attrs}>${value}</textarea></div>`;
}

/** A test to this user, sent as `POST /v1/notifications` sends (their preferences, caps and devices apply). */
export function testSendSection(userId: string, csrf: string, f: TestForm, error?: FormError): Html {
  const field = (name: 'title' | 'template' | 'category', label: string, value: string, hint?: string) =>
    textField('test', name, label, value, { error, errorId: ERROR_ID, hint, attrs: html` autocomplete="off" spellcheck="false"` });
  return html`<section aria-labelledby="test-h" class="card" id="test">
<h2 id="test-h">Send a test</h2>
<p class="hint">Goes through the same send path as <code>POST /v1/notifications</code> with <code>"user_id": "${userId}"</code>: this user's preferences, caps and active devices decide what is delivered. You are taken to its timeline.</p>
${errorNotice(ERROR_ID, error)}
${postForm(
  `/dashboard/users/${enc(userId)}/test`,
  csrf,
  html`<fieldset><legend>Channel</legend><div class="checks">${radio('test-ch-all', 'channel', 'all', 'Every channel', f.channel === 'all')}${CHANNELS.map((c) =>
    radio(`test-ch-${c}`, 'channel', c, CHANNEL_LABEL[c], f.channel === c),
  )}</div></fieldset>
<fieldset><legend>Content</legend>
<div class="checks">${radio('test-src-inline', 'source', 'inline', 'A title and a message', f.source === 'inline')}${radio('test-src-template', 'source', 'template', 'A template', f.source === 'template')}</div>
<div class="row">
<div class="source">${field('title', 'Title (push) and subject (email)', f.title)}${textArea('message', 'Message', f.message, error, html` maxlength="1600"`)}</div>
<div class="source">${field('template', 'Template key', f.template)}${textArea('params', 'Template parameters (JSON object)', f.params, error, html` spellcheck="false" placeholder="{&quot;order&quot;: &quot;8812&quot;}"`)}</div>
</div>
</fieldset>
${field('category', 'Category (optional)', f.category, 'e.g. transactional, which mute and category opt-outs do not hold back.')}
<button type="submit">Send test</button>`,
)}
</section>`;
}
