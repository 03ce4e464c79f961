import type { Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { ApiError } from '../../domain/errors.js';
import type { TemplatesRow } from '../../ports/store.js';
import { checkTemplateSyntax, type ChannelSource } from '../../services/render.js';
import { LocaleTag, TemplateBody } from '../routes/templates.js';
import { IdString } from '../schemas.js';

/**
 * The template editor's form: which fields a template has (SPEC §4), the form as typed (a Draft),
 * and the Draft turned into the same body `PUT /v1/templates/{key}` takes, checked by the same
 * schema and the same Liquid syntax check, with every problem tied to the field it is about.
 */

export type ChannelName = 'push' | 'web' | 'sms' | 'email';
type FieldKind = 'line' | 'text' | 'code' | 'json' | 'int';

export interface FieldDef {
  channel: ChannelName;
  name: string;
  /** The form field's name, e.g. `push.title`. */
  key: string;
  label: string;
  kind: FieldKind;
  max?: number;
  /** Less-used fields, shown folded unless they hold something. */
  more?: boolean;
}

const pushFields = (channel: 'push' | 'web'): FieldDef[] =>
  (
    [
      ['title', 'Title', 'line', 4096, false],
      ['body', 'Body', 'text', 4096, false],
      ['data', 'Data (JSON object; string values may use Liquid)', 'json', undefined, true],
      ['badge', 'Badge (a whole number)', 'int', undefined, true],
      ['sound', 'Sound', 'line', 256, true],
      ['image', 'Image URL', 'line', 2048, true],
      ['url', 'Link URL', 'line', 2048, true],
    ] as const
  ).map(([name, label, kind, max, more]) => ({ channel, name, key: `${channel}.${name}`, label, kind, max, more }));

export const CHANNELS: { id: ChannelName; label: string; fields: FieldDef[]; hint: string }[] = [
  { id: 'push', label: 'Push', fields: pushFields('push'), hint: 'Phones (APNs, FCM), and browsers unless Web push below has content.' },
  { id: 'web', label: 'Web push', fields: pushFields('web'), hint: 'Optional: browsers get this instead of the push content.' },
  { id: 'sms', label: 'SMS', fields: [{ channel: 'sms', name: 'text', key: 'sms.text', label: 'Text', kind: 'text', max: 1600 }], hint: '' },
  {
    id: 'email',
    label: 'Email',
    fields: [
      { channel: 'email', name: 'subject', key: 'email.subject', label: 'Subject', kind: 'line', max: 998 },
      { channel: 'email', name: 'html', key: 'email.html', label: 'HTML', kind: 'code', max: 1_000_000 },
      { channel: 'email', name: 'text', key: 'email.text', label: 'Plain text (derived from the HTML when empty)', kind: 'text', max: 1_000_000 },
    ],
    hint: '',
  },
];
export const FIELDS: FieldDef[] = CHANNELS.flatMap((c) => c.fields);
const FIELD_KEYS = new Set(FIELDS.map((f) => f.key));

/** The editor form as typed. `locale` '' is the default content; otherwise that locale's override. */
export interface Draft {
  key: string;
  locale: string;
  category: string;
  values: Record<string, string>;
  /** Sample variables for the preview (JSON), never saved. */
  sample: string;
  /** The version the form was opened on (0 for a new template): a save over a newer one is stopped. */
  baseVersion: number;
}

/** Field name → what is wrong with it; '' holds problems that belong to no one field. */
export type FieldErrors = Record<string, string>;

const keyCheck = TypeCompiler.Compile(IdString);
const localeCheck = TypeCompiler.Compile(LocaleTag);
const bodyCheck = TypeCompiler.Compile(TemplateBody);
export type TemplateBodyValue = Static<typeof TemplateBody>;

export const isTemplateKey = (s: string) => keyCheck.Check(s);
export const isLocaleTag = (s: string) => s.length <= 35 && localeCheck.Check(s);
export const KEY_RULE = 'A template key is 1–200 characters of A–Z a–z 0–9 . _ : @ + -';

export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export const channelsOf = (t: TemplatesRow): ChannelSource => JSON.parse(t.channels) as ChannelSource;
export const localesOf = (t: TemplatesRow): Record<string, ChannelSource> => (t.locales ? (JSON.parse(t.locales) as Record<string, ChannelSource>) : {});

/** Stored content → the form's text values. */
export function valuesOf(source: ChannelSource | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = source?.[f.channel]?.[f.name];
    if (v === undefined || v === null) continue;
    values[f.key] = typeof v === 'string' ? v : f.kind === 'json' ? JSON.stringify(v, null, 2) : String(v);
  }
  return values;
}

/** The posted form, normalised: browsers send textarea lines as CRLF, and blank means "not set". */
export function readDraft(form: URLSearchParams): Draft {
  const text = (name: string) => (form.get(name) ?? '').replace(/\r\n?/g, '\n');
  const values: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = text(f.key).trim();
    if (v) values[f.key] = v;
  }
  const base = Number(form.get('base_version'));
  return {
    key: text('key').trim(),
    locale: text('locale').trim(),
    category: text('category').trim(),
    values,
    sample: text('sample'),
    baseVersion: Number.isSafeInteger(base) && base >= 0 ? base : 0,
  };
}

/** A Liquid error's own words, without the field path the renderer puts in front. */
function liquidMessage(err: ApiError): string {
  const prefix = `${err.field}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

function syntaxError(f: FieldDef, value: unknown): string | undefined {
  try {
    checkTemplateSyntax({ [f.channel]: { [f.name]: value } }, 'content');
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const where = f.kind === 'json' && err.field ? `${err.field.split('.').slice(3).join('.')}: ` : '';
    return `Liquid syntax error: ${where}${liquidMessage(err)}`;
  }
}

function fieldValue(f: FieldDef, raw: string): { value?: unknown; error?: string } {
  if (f.kind === 'int') return /^\d{1,9}$/.test(raw) ? { value: Number(raw) } : { error: 'A whole number, 0 or more.' };
  if (f.kind !== 'json') return { value: raw };
  const v = parseJson<unknown>(raw);
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'A JSON object, e.g. {"order": "{{ params.order }}"}.' };
  return { value: v };
}

/** The content the form holds for its locale (only the fields that are set), and what is wrong with each field. */
export function draftSource(draft: Draft): { source: ChannelSource; errors: FieldErrors } {
  const source: ChannelSource = {};
  const errors: FieldErrors = {};
  for (const f of FIELDS) {
    const raw = draft.values[f.key];
    if (!raw) continue;
    const { value, error } = fieldValue(f, raw);
    const problem = error ?? syntaxError(f, value);
    if (problem) errors[f.key] = problem;
    else (source[f.channel] ??= {})[f.name] = value;
  }
  return { source, errors };
}

/**
 * What the API took but this form has no control for (a channel it does not know, or an extra field
 * of a channel the form still has content for): kept as it was, so a save from here drops nothing
 * the operator did not see.
 */
function withUnknownFields(source: ChannelSource, before: ChannelSource | undefined): ChannelSource {
  const out: ChannelSource = { ...source };
  for (const [ch, fields] of Object.entries(before ?? {})) {
    const known = CHANNELS.some((c) => c.id === ch);
    if (known && !source[ch]) continue;
    for (const [name, v] of Object.entries(fields ?? {})) if (!FIELD_KEYS.has(`${ch}.${name}`)) out[ch] = { ...out[ch], [name]: v };
  }
  return out;
}

/**
 * The whole template as `PUT /v1/templates/{key}` would take it: the default page replaces the
 * default content and category; a locale page replaces that locale's override (dropping it when
 * the form is empty) and keeps the rest of the latest version.
 */
export function templateBody(draft: Draft, edited: ChannelSource, latest: TemplatesRow | undefined): TemplateBodyValue {
  const before = latest ? (draft.locale ? localesOf(latest)[draft.locale] : channelsOf(latest)) : undefined;
  const source = withUnknownFields(edited, before);
  if (!draft.locale) {
    const locales = latest ? localesOf(latest) : {};
    return { category: draft.category || null, channels: source, ...(Object.keys(locales).length ? { locales } : {}) } as TemplateBodyValue;
  }
  const locales = latest ? { ...localesOf(latest) } : {};
  if (Object.keys(source).length) locales[draft.locale] = source;
  else delete locales[draft.locale];
  return { category: latest?.category ?? null, channels: latest ? channelsOf(latest) : {}, ...(Object.keys(locales).length ? { locales } : {}) } as TemplateBodyValue;
}

function schemaMessage(type: ValueErrorType, schema: { maxLength?: number }, field: string, fallback: string): string {
  if (field === 'category') return 'A category is 1–200 characters of A–Z a–z 0–9 . _ : @ + -';
  if (type === ValueErrorType.ObjectRequiredProperty) return 'Needed when this channel has content.';
  if (type === ValueErrorType.StringMaxLength) return `At most ${schema.maxLength} characters.`;
  return `${fallback}.`;
}

/** The body checked with the API's schema; each problem goes to the form field it came from. */
export function checkBody(body: TemplateBodyValue, locale: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!locale && Object.keys(body.channels).length === 0) errors[''] = 'A template needs content for at least one channel.';
  const own = locale ? ['locales', locale] : ['channels'];
  for (const e of bodyCheck.Errors(body)) {
    const path = e.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const mine = path.length >= own.length + 2 && path[0] === own[0] && (!locale || path[1] === locale);
    const named = mine ? path.slice(own.length, own.length + 2).join('.') : '';
    const field = path[0] === 'category' ? 'category' : FIELD_KEYS.has(named) ? named : '';
    if (errors[field] === undefined) errors[field] = schemaMessage(e.type, e.schema as { maxLength?: number }, field, field ? e.message : `${e.path}: ${e.message}`);
  }
  return errors;
}
