import type { TemplatesRow } from '../../ports/store.js';
import type { ChannelSource } from '../../services/render.js';
import { CHANNELS, KEY_RULE, valuesOf, type FieldDef, type FieldErrors, type Draft } from './template-form.js';
import { enc, html, layout, postForm, time, type Html, type NavState } from './html.js';

/** The editor page for one template and locale (or a new template): the form beside its preview. */
export interface EditorView {
  nav: NavState;
  key: string;
  isNew: boolean;
  /** The latest version (none for a new template). */
  latest?: TemplatesRow;
  versionCount: number;
  /** The template's locale overrides as saved. */
  locales: string[];
  draft: Draft;
  /** What stops a save, by field. */
  errors: FieldErrors;
  /** The sample variables' problem: shown, but it stops no save (the sample is never saved). */
  sampleError?: string;
  /** On a locale page: the default content, which empty fields fall back to. */
  inherited?: ChannelSource;
  preview: Html;
  notice?: Html;
  /** The errors stopped a save (rather than showing after a Preview). */
  refused?: boolean;
}

export const templateHref = (key: string, locale = '') => `/dashboard/templates/${enc(key)}${locale ? `?locale=${enc(locale)}` : ''}`;
const fieldId = (key: string) => `f-${key.replace(/\./g, '-')}`;
const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const ROWS: Record<string, number> = { text: 3, code: 8, json: 3 };

function errorText(id: string, name: string, error: string | undefined): Html {
  return html`<p class="field-error" id="${id}-error" data-error-for="${name}">${error ?? ''}</p>`;
}

function control(f: FieldDef, v: EditorView): Html {
  const id = fieldId(f.key);
  const value = v.draft.values[f.key] ?? '';
  const error = v.errors[f.key];
  const fallback = v.inherited ? valuesOf(v.inherited)[f.key] : undefined;
  const hint = v.draft.locale ? (fallback ? `Empty: uses the default, “${shorten(fallback, 90)}”.` : 'Empty: the default has nothing here either.') : '';
  const attrs = html` id="${id}" name="${f.key}" aria-describedby="${hint ? `${id}-hint ` : ''}${id}-error"${error ? html` aria-invalid="true"` : ''}${f.max ? html` maxlength="${f.max}"` : ''}`;
  const input =
    f.kind === 'line' || f.kind === 'int'
      ? html`<input type="text"${attrs} value="${value}"${f.kind === 'int' ? html` inputmode="numeric"` : ''} autocomplete="off">`
      : html`<textarea${attrs} rows="${ROWS[f.kind]}"${f.kind === 'text' ? '' : html` class="code" spellcheck="false"`}>${value}</textarea>`;
  return html`<div class="field"><label for="${id}">${f.label}</label>${input}${hint ? html`<span class="hint" id="${id}-hint">${hint}</span>` : ''}${errorText(id, f.key, error)}</div>`;
}

function channelFieldset(c: (typeof CHANNELS)[number], v: EditorView): Html {
  const main = c.fields.filter((f) => !f.more);
  const more = c.fields.filter((f) => f.more);
  const holds = (fs: FieldDef[]) => fs.some((f) => v.draft.values[f.key] || v.errors[f.key]);
  const fieldset = html`<fieldset class="channel channel-${c.id}"><legend>${c.label}</legend>
${c.hint ? html`<p class="hint">${c.hint}</p>` : ''}
${main.map((f) => control(f, v))}
${more.length ? html`<details${holds(more) ? html` open` : ''}><summary>Data, badge, sound, image and link</summary>${more.map((f) => control(f, v))}</details>` : ''}
</fieldset>`;
  // Few templates have browser-only content: folded away unless this one does.
  return c.id === 'web' ? html`<details class="web-push"${holds(c.fields) ? html` open` : ''}><summary>Web push (optional)</summary>${fieldset}</details>` : fieldset;
}

const SUMMARY_LABEL = new Map<string, string>([
  ['key', 'Key'],
  ['category', 'Category'],
  ...CHANNELS.flatMap((c) => c.fields.map((f) => [f.key, `${c.label} · ${f.label.replace(/ \(.*\)$/, '')}`] as [string, string])),
]);

function errorSummary(errors: FieldErrors, refused: boolean): Html {
  const entries = Object.entries(errors);
  if (!entries.length) return html``;
  const label = (k: string) => SUMMARY_LABEL.get(k) ?? k;
  const count = entries.length === 1 ? 'one thing needs' : `${entries.length} things need`;
  const lead = refused ? `Nothing was saved: ${count} a fix.` : `Before this can be saved, ${count} a fix.`;
  return html`<div class="notice error" role="alert"><p>${lead}</p><ul>${entries.map(
    ([k, msg]) => html`<li>${k ? html`<a href="#${fieldId(k)}">${label(k)}</a>: ` : ''}${msg}</li>`,
  )}</ul></div>`;
}

function localeNav(v: EditorView): Html {
  const current = v.draft.locale;
  const link = (locale: string, text: string) => html`<li><a href="${templateHref(v.key, locale)}"${locale === current ? html` aria-current="page"` : ''}>${text}</a></li>`;
  const unsaved = current && !v.locales.includes(current) ? link(current, `${current} (new)`) : '';
  return html`<div class="locale-bar">
<nav class="locales" aria-label="Locales"><ul>${link('', 'Default')}${v.locales.map((l) => link(l, l))}${unsaved}</ul></nav>
<form method="get" action="${templateHref(v.key)}" class="add-locale">
<div class="field"><label for="add-locale">Add or open a locale</label><input id="add-locale" name="locale" maxlength="35" autocomplete="off" spellcheck="false" aria-describedby="add-locale-hint"></div>
<button type="submit" class="secondary">Open</button>
<p class="hint" id="add-locale-hint">A tag such as ko or pt-BR. A user's locale picks its override (exact tag, then language); fields it leaves empty come from the default.</p>
</form>
</div>`;
}

function editorForm(v: EditorView): Html {
  const action = v.isNew ? '/dashboard/new-template' : templateHref(v.key);
  const nextVersion = (v.latest?.version ?? 0) + 1;
  const keyField = v.isNew
    ? html`<div class="field"><label for="f-key">Key</label><input id="f-key" name="key" value="${v.draft.key}" required maxlength="200" autocomplete="off" spellcheck="false" aria-describedby="f-key-hint f-key-error"${v.errors.key ? html` aria-invalid="true"` : ''}><span class="hint" id="f-key-hint">${KEY_RULE}. Sends name the template by it.</span>${errorText('f-key', 'key', v.errors.key)}</div>`
    : html`<input type="hidden" name="key" value="${v.key}">`;
  const category = v.draft.locale
    ? html``
    : html`<div class="field"><label for="f-category">Category (optional)</label><input id="f-category" name="category" value="${v.draft.category}" maxlength="200" autocomplete="off" spellcheck="false" aria-describedby="f-category-hint f-category-error"${v.errors.category ? html` aria-invalid="true"` : ''}><span class="hint" id="f-category-hint">Users can turn a category off in their preferences; frequency caps and unsubscribe links use it.</span>${errorText('f-category', 'category', v.errors.category)}</div>`;
  return postForm(
    action,
    v.nav.csrf,
    html`<input type="hidden" name="locale" value="${v.draft.locale}">${v.isNew ? html`<input type="hidden" name="is_new" value="1">` : ''}<input type="hidden" name="base_version" value="${v.latest?.version ?? 0}">
${keyField}
${category}
${CHANNELS.map((c) => channelFieldset(c, v))}
<fieldset class="sample"><legend>Preview with</legend>
<div class="field"><label for="f-sample">Sample variables (JSON)</label><textarea id="f-sample" name="sample" rows="8" class="code" spellcheck="false" aria-describedby="f-sample-hint f-sample-error"${v.sampleError ? html` aria-invalid="true"` : ''}>${v.draft.sample}</textarea><span class="hint" id="f-sample-hint">"params" and "user" as a send would give them; "app" is this app. Not saved.</span>${errorText('f-sample', 'sample', v.sampleError)}</div>
</fieldset>
<div class="actions">
<button type="submit" class="secondary" formaction="${v.isNew ? '/dashboard/new-template/preview' : `${templateHref(v.key)}/preview`}" data-preview-button>Preview</button>
<button type="submit">${v.isNew ? 'Create version 1' : `Save as version ${nextVersion}`}</button>
</div>
<p class="hint js-only">The preview follows your typing; Save keeps it as a new version.</p>
<p class="live-status" data-preview-status role="status"></p>`,
    html` class="template-form" data-preview-url="/dashboard/api/templates/preview" novalidate`,
  );
}

function summary(v: EditorView): Html {
  if (!v.latest) return html`<p class="hint">Not saved yet: the first save makes version 1.</p>`;
  const t = v.latest;
  return html`<dl class="facts">
<div><dt>Version</dt><dd>${t.version}, saved ${time(t.created_at)}</dd></div>
<div><dt>Category</dt><dd>${t.category ?? '—'}</dd></div>
<div><dt>History</dt><dd><a href="${templateHref(v.key)}/versions">${v.versionCount} ${v.versionCount === 1 ? 'version' : 'versions'}</a></dd></div>
</dl>`;
}

export function editorPage(v: EditorView): string {
  const title = v.isNew ? 'New template' : `Template ${v.key}`;
  const localeHint = v.draft.locale
    ? html`<p class="hint">Editing the <strong>${v.draft.locale}</strong> override. Fields left empty use the default; saving with every field empty removes the override.</p>`
    : '';
  return layout({
    title,
    nav: v.nav,
    styles: ['templates.css'],
    scripts: ['templates.js'],
    body: html`<p class="crumbs"><a href="/dashboard/templates">Templates</a></p>
<h1>${v.isNew ? 'New template' : html`Template <span class="mono">${v.key}</span>`}</h1>
${summary(v)}
${v.notice ?? ''}
${v.isNew ? '' : localeNav(v)}
${localeHint}
<div class="workspace">
<section class="editor" aria-labelledby="editor-h">
<h2 id="editor-h">${v.draft.locale ? `Content for ${v.draft.locale}` : 'Content'}</h2>
${errorSummary(v.errors, !!v.refused)}
${editorForm(v)}
</section>
${v.preview}
</div>`,
  });
}
