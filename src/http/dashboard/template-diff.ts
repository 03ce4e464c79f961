import { diffLines } from 'diff';
import type { TemplatesRow } from '../../ports/store.js';
import type { ChannelSource } from '../../services/render.js';
import { CHANNELS, channelsOf, localesOf } from './template-form.js';
import { html, type Html } from './html.js';

/**
 * What changed between two versions of a template: each field (category, every channel field of the
 * default content and of each locale) as text, and a line diff (jsdiff) of each field that differs.
 */

interface Field {
  label: string;
  text: string;
}

const CONTEXT = 3;
const CHANNEL_LABEL = new Map(CHANNELS.map((c) => [c.id as string, c.label]));
const FIELD_LABEL = new Map(CHANNELS.flatMap((c) => c.fields.map((f) => [f.key, f.label.replace(/ \(.*\)$/, '')])));
const ORDER = new Map(CHANNELS.flatMap((c) => c.fields.map((f) => f.key)).map((k, i) => [k, i]));

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

function contentFields(source: ChannelSource, id: string, prefix: string, out: Map<string, Field>): void {
  const entries = Object.entries(source).flatMap(([ch, fields]) => Object.entries(fields ?? {}).map(([name, v]) => [`${ch}.${name}`, v] as const));
  entries.sort(([a], [b]) => (ORDER.get(a) ?? 99) - (ORDER.get(b) ?? 99) || a.localeCompare(b));
  for (const [key, v] of entries) {
    const [ch, name] = key.split('.');
    out.set(`${id}.${key}`, { label: `${prefix}${CHANNEL_LABEL.get(ch) ?? ch} · ${FIELD_LABEL.get(key) ?? name}`, text: asText(v) });
  }
}

/** A version as named text fields, in the editor's order: category, default content, then each locale. */
export function fieldsOf(t: TemplatesRow): Map<string, Field> {
  const out = new Map<string, Field>();
  out.set('category', { label: 'Category', text: t.category ?? '' });
  contentFields(channelsOf(t), 'channels', '', out);
  for (const [locale, source] of Object.entries(localesOf(t)).sort(([a], [b]) => a.localeCompare(b))) contentFields(source, `locales.${locale}`, `${locale} · `, out);
  return out;
}

type Line = { kind: 'same' | 'add' | 'del'; text: string } | { kind: 'skip'; count: number };

const linesOf = (value: string) => value.replace(/\n$/, '').split('\n');
const withEnd = (s: string) => (s ? `${s}\n` : '');

/** Unchanged runs are cut down to a few lines of context around each change. */
function lineDiff(before: string, after: string): Line[] {
  const out: Line[] = [];
  const changes = diffLines(withEnd(before), withEnd(after));
  changes.forEach((c, i) => {
    const lines = linesOf(c.value);
    if (c.added || c.removed) {
      for (const text of lines) out.push({ kind: c.added ? 'add' : 'del', text });
      return;
    }
    const keepHead = i === changes.length - 1 ? 0 : CONTEXT;
    const keepTail = i === 0 ? 0 : CONTEXT;
    if (lines.length <= keepHead + keepTail + 1) {
      for (const text of lines) out.push({ kind: 'same', text });
      return;
    }
    for (const text of lines.slice(0, keepTail)) out.push({ kind: 'same', text });
    out.push({ kind: 'skip', count: lines.length - keepHead - keepTail });
    for (const text of lines.slice(lines.length - keepHead)) out.push({ kind: 'same', text });
  });
  return out;
}

function lineItem(l: Line): Html {
  if (l.kind === 'skip') return html`<li class="d-skip">… ${l.count} unchanged ${l.count === 1 ? 'line' : 'lines'} …</li>`;
  if (l.kind === 'add') return html`<li class="d-add"><span class="d-mark" aria-hidden="true">+</span><ins><span class="visually-hidden">Added: </span>${l.text}</ins></li>`;
  if (l.kind === 'del') return html`<li class="d-del"><span class="d-mark" aria-hidden="true">−</span><del><span class="visually-hidden">Removed: </span>${l.text}</del></li>`;
  return html`<li class="d-same"><span class="d-mark" aria-hidden="true"> </span><span>${l.text}</span></li>`;
}

/** The changed fields between two versions, each with its line diff; says so when nothing differs. */
export function diffView(from: TemplatesRow, to: TemplatesRow): Html {
  const a = fieldsOf(from);
  const b = fieldsOf(to);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const changed = keys.filter((k) => (a.get(k)?.text ?? '') !== (b.get(k)?.text ?? ''));
  if (!changed.length) return html`<p>Versions ${from.version} and ${to.version} have the same content.</p>`;
  return html`<p>${changed.length} of ${keys.length} ${keys.length === 1 ? 'field' : 'fields'} changed from version ${from.version} to version ${to.version}.</p>
${changed.map((k, i) => {
  const before = a.get(k);
  const after = b.get(k);
  const state = !before?.text ? ' (added)' : !after?.text ? ' (removed)' : '';
  return html`<section class="field-diff" aria-labelledby="diff-${i}">
<h3 id="diff-${i}">${(after ?? before)!.label}${state}</h3>
<ol class="diff">${lineDiff(before?.text ?? '', after?.text ?? '').map(lineItem)}</ol>
</section>`;
})}`;
}
