import type { EmailContent, PushContent } from '../../domain/content.js';
import { ApiError } from '../../domain/errors.js';
import { isGsm7 } from '../../domain/sms-segments.js';
import { renderChannels, variableSegments, type ChannelSource, type PartialLibrary } from '../../services/render.js';
import { segmentInfo } from '../routes/templates.js';
import { FIELDS, parseJson, type ChannelName, type FieldErrors } from './template-form.js';
import { html, type Html } from './html.js';

/**
 * The template preview: the content rendered with sample variables by the same renderer a send
 * uses, shown as a phone shows it — push as a lock-screen banner, SMS as a bubble with its encoding
 * and segment count, email in a sandboxed frame under its subject line.
 */

/**
 * Put before the email's HTML in its frame (a sandboxed srcdoc: no scripts, no forms, an opaque
 * origin): the email's own styles apply, but nothing loads from anywhere, as in the sandbox mailbox.
 */
const MAIL_CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;


const USER_SAMPLE: Record<string, string> = { id: 'user-1', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155552671', locale: 'en', timezone: 'Europe/London' };
const UNSAFE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

type Tree = Record<string, unknown>;

function place(sample: { params: Tree; user: Tree }, segments: unknown[]): void {
  const [root, ...rest] = segments;
  if (root !== 'params' && root !== 'user') return;
  const names: string[] = [];
  for (const s of rest) {
    if (typeof s !== 'string' || UNSAFE_NAMES.has(s)) break;
    names.push(s);
  }
  if (!names.length) return;
  if (root === 'user' && names.length === 1 && Object.hasOwn(USER_SAMPLE, names[0])) {
    sample.user[names[0]] = USER_SAMPLE[names[0]];
    return;
  }
  let node = sample[root];
  for (const n of names.slice(0, -1)) {
    const next = node[n];
    if (!next || typeof next !== 'object') node[n] = {};
    node = node[n] as Tree;
  }
  const leaf = names[names.length - 1];
  if (!Object.hasOwn(node, leaf)) node[leaf] = leaf;
}

function stringsOf(source: ChannelSource): string[] {
  const out: string[] = [];
  for (const fields of Object.values(source)) {
    for (const [name, v] of Object.entries(fields ?? {})) {
      if (typeof v === 'string') out.push(v);
      else if (name === 'data' && v && typeof v === 'object') out.push(...Object.values(v).filter((x): x is string => typeof x === 'string'));
    }
  }
  return out;
}

/**
 * Sample variables to start the preview with: every `params.…` and `user.…` the content reads, each
 * set to its own name (or a plausible person for the user's fields), so the first preview renders
 * instead of stopping at a missing variable.
 */
export function sampleFor(source: ChannelSource): string {
  const sample = { params: {} as Tree, user: {} as Tree };
  for (const text of stringsOf(source)) {
    try {
      for (const segments of variableSegments(text)) place(sample, segments);
    } catch {
      // A field that does not parse has its own error next to it; it adds nothing to the sample.
    }
  }
  return JSON.stringify(sample, null, 2);
}

const SAMPLE_SHAPE = 'Sample variables are a JSON object such as {"params": {"order": "8812"}, "user": {"name": "Ada"}}.';

/** The render scope from the sample's JSON (`app` is always the signed-in app), or what is wrong with it. */
export function sampleScope(text: string, app: { id: string; name: string }): { scope?: object; error?: string } {
  const v = text.trim() ? parseJson<unknown>(text) : {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: `That is not a JSON object. ${SAMPLE_SHAPE}` };
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => k !== 'params' && k !== 'user');
  if (extra.length) return { error: `Only "params" and "user" can be given ("app" is this app); remove ${extra.map((k) => JSON.stringify(k)).join(', ')}.` };
  for (const k of ['params', 'user'] as const) {
    if (o[k] !== undefined && (!o[k] || typeof o[k] !== 'object' || Array.isArray(o[k]))) return { error: `"${k}" must be a JSON object. ${SAMPLE_SHAPE}` };
  }
  return { scope: { params: o.params ?? {}, user: o.user ?? {}, app: { id: app.id, name: app.name } } };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function banner(appName: string, p: PushContent, kind: 'phone' | 'browser'): Html {
  const extras: [string, string | undefined][] = [
    ['Image', p.image],
    ['Opens', p.url],
    ['Sound', p.sound],
    ['Badge', p.badge === undefined ? undefined : String(p.badge)],
  ];
  const shown = extras.filter(([, v]) => v !== undefined && v !== '');
  const data = Object.entries(p.data ?? {});
  return html`<div class="${kind === 'phone' ? 'lock-screen' : 'desktop'}">
${kind === 'phone' ? html`<p class="lock-time" aria-hidden="true">9:41</p>` : ''}
<div class="banner">
<p class="banner-head"><span class="banner-icon" aria-hidden="true">${[...appName][0]?.toUpperCase() ?? 'H'}</span><span class="banner-app">${appName}</span><span class="banner-when">${kind === 'phone' ? 'now' : 'Browser'}</span></p>
${p.title ? html`<p class="banner-title">${p.title}</p>` : ''}
${p.body ? html`<p class="banner-body">${p.body}</p>` : ''}
</div>
</div>
${
  shown.length || data.length
    ? html`<dl class="pv-extras">${shown.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}${data.map(
        ([k, v]) => html`<div><dt>data.${k}</dt><dd>${v}</dd></div>`,
      )}</dl>`
    : ''
}`;
}

function smsPreview(appName: string, text: string): Html {
  const info = segmentInfo(text);
  const outside = [...new Set([...text].filter((ch) => !isGsm7(ch)))];
  return html`<div class="sms-thread">
<p class="sms-from">${appName}</p>
<p class="sms-bubble">${text}</p>
</div>
<p class="sms-meta"><span class="sms-encoding">${info.encoding}</span> · <span class="sms-segments">${plural(info.segments, 'segment', 'segments')}</span> · ${plural(info.characters, 'character', 'characters')}</p>
${
  outside.length
    ? html`<p class="hint">Not in the GSM-7 alphabet: ${outside.slice(0, 10).map((ch, i) => html`${i ? ' ' : ''}<span class="char">${ch}</span>`)}. They make the whole text UCS-2: 70 characters fit one segment instead of 160.</p>`
    : ''
}`;
}

function emailPreview(appName: string, e: EmailContent): Html {
  return html`<dl class="email-head"><div><dt>From</dt><dd>${appName}</dd></div><div><dt>Subject</dt><dd class="email-subject">${e.subject}</dd></div></dl>
${
  e.html
    ? html`<iframe sandbox="" referrerpolicy="no-referrer" title="Email preview: ${e.subject}" srcdoc="${MAIL_CSP + e.html}"></iframe>
<details><summary>Plain text version</summary><pre class="mail-text">${e.text}</pre></details>`
    : html`<pre class="mail-text">${e.text}</pre>`
}`;
}

const LABEL: Record<ChannelName, string> = { push: 'Push', web: 'Web push', sms: 'SMS', email: 'Email' };

function channelPreview(ch: ChannelName, source: ChannelSource, scope: object, appName: string, partials: PartialLibrary | undefined, locale: string): Html {
  let rendered;
  try {
    rendered = renderChannels(source, scope, [ch], { partials, locale: locale || null });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const hint = err.code === 'missing_variable' ? ' Add it to the sample variables to see this channel.' : '';
    return html`<p class="pv-error">Cannot render: ${err.message}.${hint}</p>`;
  }
  if (ch === 'sms') return smsPreview(appName, rendered.sms?.text ?? '');
  if (ch === 'email') return emailPreview(appName, rendered.email!);
  return banner(appName, rendered[ch] ?? {}, ch === 'push' ? 'phone' : 'browser');
}

export interface PreviewInput {
  /** The effective content: for a locale, its override over the default. */
  source: ChannelSource;
  sample: string;
  app: { id: string; name: string };
  locale: string;
  /** The form's field errors: a channel with a broken field says so rather than previewing without it. */
  fieldErrors?: FieldErrors;
  /** The app's templates the content renders, includes or uses as layout. */
  partials?: PartialLibrary;
}

/** The preview section (`#template-preview`); the editor's script swaps in a fresh one as the form changes. */
export function previewSection(input: PreviewInput): Html {
  const { scope, error } = sampleScope(input.sample, input.app);
  const broken = (ch: ChannelName) => FIELDS.filter((f) => f.channel === ch && input.fieldErrors?.[f.key]).map((f) => f.label);
  const channels = (['push', 'web', 'sms', 'email'] as const).filter((ch) => input.source[ch] || broken(ch).length);
  const body = !channels.length
    ? html`<p>Nothing to preview yet: give a channel some content.</p>`
    : !scope
      ? html``
      : channels.map((ch) => {
          const bad = broken(ch);
          return html`<section class="pv pv-${ch}" aria-labelledby="pv-${ch}-h">
<h3 id="pv-${ch}-h">${LABEL[ch]}</h3>
${bad.length ? html`<p class="pv-error">Fix ${bad.join(', ')} to see this channel.</p>` : channelPreview(ch, input.source, scope, input.app.name, input.partials, input.locale)}
</section>`;
        });
  return html`<section id="template-preview" class="preview" aria-labelledby="preview-h">
<h2 id="preview-h">Preview${input.locale ? html` <span class="pv-locale">(${input.locale})</span>` : ''}</h2>
<p class="hint">Rendered with the sample variables. When sent, email links are tracked and an unsubscribe footer is added.</p>
${error ? html`<p class="pv-error">Fix the sample variables to see the preview: ${error}</p>` : ''}
<div class="previews">${body}</div>
</section>`;
}
