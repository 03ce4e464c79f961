import type { Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CHANNELS, type Channel } from '../../domain/delivery.js';
import type { Preferences } from '../../domain/preferences.js';
import type { UsersRow } from '../../ports/store.js';
import type { SendRequest } from '../../services/send-request.js';
import { SendBody } from '../routes/notifications.js';
import { PreferencesBody, UserBody } from '../routes/users.js';
import { testRequest } from './sandbox.js';

/**
 * The Users page's three forms as plain values: read from the posted fields (or from what is stored),
 * shown again as typed when refused, and turned into the very bodies the /v1 routes take, checked with
 * those routes' schemas. The rules beyond the schemas live in the services the routes call.
 */

/** A refusal, and which control it is about (that control is marked invalid and described by the message). */
export interface FormError {
  field?: string;
  message: string;
}

/** Every field of a form, typed as text: what the operator sees again when it is refused. */
export interface ContactForm {
  name: string;
  email: string;
  phone: string;
  locale: string;
  timezone: string;
}

export const CONTACT_FIELDS = ['name', 'email', 'phone', 'locale', 'timezone'] as const;

const userCheck = TypeCompiler.Compile(UserBody);
const prefsCheck = TypeCompiler.Compile(PreferencesBody);
const sendCheck = TypeCompiler.Compile(SendBody);

/** What the schema's limits mean, in words, per field. */
const CONTACT_RULES: Record<(typeof CONTACT_FIELDS)[number], string> = {
  name: 'A name is at most 200 characters.',
  email: 'An email address is at most 254 characters.',
  phone: 'A phone number is at most 32 characters, in E.164 form such as +14155552671.',
  locale: 'A locale is a language tag such as en, pt-BR or zh-Hant-TW.',
  timezone: 'A timezone is an IANA name such as Europe/Berlin, at most 64 characters.',
};

export function contactFormOf(user: UsersRow): ContactForm {
  return { name: user.name ?? '', email: user.email ?? '', phone: user.phone ?? '', locale: user.locale ?? '', timezone: user.timezone ?? '' };
}

export function readContactForm(body: URLSearchParams): ContactForm {
  const get = (k: string) => (body.get(k) ?? '').trim();
  return { name: get('name'), email: get('email'), phone: get('phone'), locale: get('locale'), timezone: get('timezone') };
}

/** The `PUT /v1/users/{id}` body: every field given, an empty one clears it; `data` is left as it is. */
export function contactBody(f: ContactForm): { body?: Static<typeof UserBody>; error?: FormError } {
  const body = Object.fromEntries(CONTACT_FIELDS.map((k) => [k, f[k] === '' ? null : f[k]])) as Static<typeof UserBody>;
  if (userCheck.Check(body)) return { body };
  const field = (userCheck.Errors(body).First()?.path ?? '').split('/').filter(Boolean)[0] as (typeof CONTACT_FIELDS)[number] | undefined;
  return { error: { field, message: field && CONTACT_RULES[field] ? CONTACT_RULES[field] : 'The contact details are not valid.' } };
}

export interface CategoryRow {
  name: string;
  allowed: Set<Channel>;
}

export interface PreferencesForm {
  channels: Set<Channel>;
  mute: boolean;
  quietStart: string;
  quietEnd: string;
  categories: CategoryRow[];
  /** The empty row for one more category. */
  added: CategoryRow;
}

const everyChannel = () => new Set<Channel>(CHANNELS);
const allowedOf = (flags: Partial<Record<string, boolean>> | undefined) => new Set(CHANNELS.filter((c) => flags?.[c] !== false));

export function preferencesFormOf(prefs: Preferences): PreferencesForm {
  return {
    channels: allowedOf(prefs.channels),
    mute: prefs.mute === true,
    quietStart: prefs.quiet_hours?.start ?? '',
    quietEnd: prefs.quiet_hours?.end ?? '',
    categories: Object.entries(prefs.categories ?? {}).map(([name, flags]) => ({ name, allowed: allowedOf(flags) })),
    added: { name: '', allowed: everyChannel() },
  };
}

const channelsIn = (values: string[]) => new Set(CHANNELS.filter((c) => values.includes(c)));

/** Checkboxes: a channel is allowed when its box was sent. Category rows are numbered `cat-N` (name) and `cat-N-ch` (boxes). */
export function readPreferencesForm(body: URLSearchParams): PreferencesForm {
  const categories: CategoryRow[] = [];
  // Every listed row is read (the form body's size limit bounds them): a row left out would be an opt-out lost.
  // Listed names are sent back untouched, as stored: only the added one is typed.
  for (let i = 0; body.has(`cat-${i}`); i++) {
    categories.push({ name: body.get(`cat-${i}`) ?? '', allowed: channelsIn(body.getAll(`cat-${i}-ch`)) });
  }
  return {
    channels: channelsIn(body.getAll('channels')),
    mute: body.get('mute') === 'on',
    quietStart: (body.get('quiet_start') ?? '').trim(),
    quietEnd: (body.get('quiet_end') ?? '').trim(),
    categories,
    added: { name: (body.get('new_cat') ?? '').trim(), allowed: channelsIn(body.getAll('new_cat_ch')) },
  };
}

/** Only refusals are written ("absent = opted in"), so a category with every channel allowed drops out. */
const refusals = (allowed: Set<Channel>) => Object.fromEntries(CHANNELS.filter((c) => !allowed.has(c)).map((c) => [c, false]));

/** The `PUT /v1/users/{id}/preferences` body (it replaces the stored choices). */
export function preferencesBody(f: PreferencesForm): { body?: Static<typeof PreferencesBody>; error?: FormError } {
  if (!f.quietStart !== !f.quietEnd) return { error: { field: f.quietStart ? 'quiet_end' : 'quiet_start', message: 'Quiet hours need both a start and an end (or neither).' } };
  const rows = f.added.name ? [...f.categories, f.added] : f.categories;
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const field = row === f.added ? 'new_cat' : `cat-${i}`;
    if (row.name.length > 100) return { error: { field, message: 'A category name is at most 100 characters.' } };
    if (seen.has(row.name)) return { error: { field, message: `The category “${row.name}” is listed already: change its row instead.` } };
    seen.add(row.name);
  }
  const categories = Object.fromEntries(rows.map((r) => [r.name, refusals(r.allowed)]).filter(([, flags]) => Object.keys(flags).length));
  const body: Static<typeof PreferencesBody> = {
    channels: refusals(f.channels),
    categories,
    ...(f.mute ? { mute: true } : {}),
    ...(f.quietStart ? { quiet_hours: { start: f.quietStart, end: f.quietEnd } } : {}),
  };
  if (prefsCheck.Check(body)) return { body };
  const where = (prefsCheck.Errors(body).First()?.path ?? '').split('/').filter(Boolean);
  if (where[0] === 'quiet_hours') return { error: { field: where[1] === 'end' ? 'quiet_end' : 'quiet_start', message: 'Quiet hours are times of day such as 22:00 and 07:30.' } };
  return { error: { message: 'These preferences are not valid.' } };
}

export const TEST_CHANNELS = ['all', ...CHANNELS] as const;

export interface TestForm {
  channel: (typeof TEST_CHANNELS)[number];
  source: 'inline' | 'template';
  title: string;
  message: string;
  template: string;
  params: string;
  category: string;
}

export const DEFAULT_TEST: TestForm = { channel: 'all', source: 'inline', title: 'Hello from Herald', message: 'This is a test.', template: '', params: '', category: '' };

export function readTestForm(body: URLSearchParams): TestForm {
  const get = (k: string) => (body.get(k) ?? '').trim();
  const channel = TEST_CHANNELS.find((c) => c === get('channel')) ?? 'all';
  return { channel, source: get('source') === 'template' ? 'template' : 'inline', title: get('title'), message: get('message'), template: get('template'), params: get('params'), category: get('category') };
}

const KEY = /^[A-Za-z0-9._:@+-]{1,200}$/;

/** The `POST /v1/notifications` body for a test to this user: inline content for every channel, or a template. */
export function testSendRequest(userId: string, f: TestForm): { req?: SendRequest; error?: FormError } {
  if (f.category && !KEY.test(f.category)) return { error: { field: 'category', message: 'A category is 1–200 characters of A–Z a–z 0–9 . _ : @ + -' } };
  let req: SendRequest;
  if (f.source === 'template') {
    if (!KEY.test(f.template)) return { error: { field: 'template', message: 'Give the key of a template (1–200 characters of A–Z a–z 0–9 . _ : @ + -).' } };
    const params = parseParams(f.params);
    if (params.error) return { error: { field: 'params', message: params.error } };
    req = { user_id: userId, template: f.template, ...(params.value ? { params: params.value } : {}) };
  } else {
    // The sandbox page's test content: the same title and message on every channel.
    const built = testRequest({ user_id: userId, email: '', phone: '', title: f.title, message: f.message });
    if (!built.req) return { error: { field: !f.title ? 'title' : !f.message ? 'message' : undefined, message: built.error ?? 'Give the test a title and a message.' } };
    req = built.req;
  }
  req = { ...req, ...(f.channel !== 'all' ? { channels: [f.channel] } : {}), ...(f.category ? { category: f.category } : {}) };
  if (sendCheck.Check(req)) return { req };
  const e = sendCheck.Errors(req).First();
  return { error: { message: `${(e?.path ?? '').split('/').filter(Boolean).join('.') || 'The test'}: ${e?.message ?? 'is invalid'}` } };
}

function parseParams(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return { value: v as Record<string, unknown> };
  } catch {
    /* reported below */
  }
  return { error: 'Parameters are a JSON object, such as {"order": "8812"}.' };
}
