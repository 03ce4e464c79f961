import { ApiError } from '../domain/errors.js';
import type { ChannelContent, EmailContent, PushContent } from '../domain/content.js';
import { asApiError, engine, parse, withPartials } from './render-engine.js';
import { NO_PARTIALS, fieldsOf, partialNames, partialsForField, type ChannelSource, type PartialLibrary, type PartialTemplate } from './render-partials.js';

export type { ChannelSource, PartialLibrary, PartialTemplate } from './render-partials.js';
export { NO_PARTIALS, loadPartials } from './render-partials.js';

/**
 * The most a channel's rendered content may be (SPEC §11), checked on each field as soon as it is
 * rendered — before anything copies or flattens it — and on the whole message after (SMS, email).
 * A push or web field over 4 KB can never fit; the whole payload is checked by the provider's adapter.
 */
export const CONTENT_LIMITS = { push: 4096, web: 4096, sms: 1600, email: 1_048_576 } as const;

export interface RenderOptions {
  /** Inline content (not a template): sent as given, never run through Liquid, with the same size limits. */
  literal?: boolean;
  /** The app's templates that render/include/layout may name (see loadPartials). */
  partials?: PartialLibrary;
  /** Picks a partial's locale override the way the main template's was picked. */
  locale?: string | null;
  /** Save-time trial renders: missing variables render blank; limits are still errors. */
  lenient?: boolean;
}

function tooLarge(field: string, channel: string, limit: number, unit: string): ApiError {
  return new ApiError(400, 'content_too_large', `${field}: the rendered ${channel} content is over ${limit.toLocaleString('en')} ${unit}, the most this channel takes`, field);
}

/** Check that every field parses and names its partials properly, at PUT time, so a broken template is refused before any send. */
export function checkTemplateSyntax(channels: ChannelSource, prefix: string): void {
  for (const [path, src] of fieldsOf(channels)) {
    parse(src, `${prefix}.${path}`);
    partialNames(src, `${prefix}.${path}`);
  }
}

/**
 * Save-time check of the limits: every field of the default content and of each locale rendered once
 * without variables (missing ones blank). A template that blows a limit with no data at all is refused
 * when it is saved, not when a schedule fires it at night.
 */
export function checkTemplateLimits(channels: ChannelSource, locales: Record<string, ChannelSource> | null, partials: PartialLibrary): void {
  const variants: [string | null, ChannelSource][] = [[null, channels]];
  for (const loc of Object.keys(locales ?? {})) variants.push([loc, pickLocale(channels, locales, loc)]);
  for (const [locale, source] of variants) {
    try {
      renderChannels(source, { params: {}, user: {}, app: {} }, Object.keys(source), { partials, locale, lenient: true });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'render_limit' || err.code === 'content_too_large' || err.code === 'invalid_template')) throw err;
      // Anything else depends on the data a send brings; the send will say.
    }
  }
}

/** The variables (as path segments) one field reads, for the dashboard's sample parameters. */
export function variableSegments(source: string): unknown[][] {
  return engine.globalVariableSegmentsSync(parse(source, 'template')) as unknown[][];
}

type LimitedChannel = keyof typeof CONTENT_LIMITS;

interface FieldContext {
  scope: object;
  opts: RenderOptions;
  channel: LimitedChannel;
}

function renderString(source: string, ctx: FieldContext, path: string): string {
  const field = `content.${path}`;
  const limit = CONTENT_LIMITS[ctx.channel];
  let out: string;
  if (!source.includes('{')) out = source;
  else {
    const lib = ctx.opts.partials ?? NO_PARTIALS;
    const pick = (t: PartialTemplate) => pickLocale(t.channels, t.locales, ctx.opts.locale ?? null);
    try {
      const map = partialsForField(lib, path, source, pick);
      out = withPartials(map, () => engine.renderSync(parse(source, field), ctx.scope, ctx.opts.lenient ? { strictVariables: false } : undefined) as string);
    } catch (err) {
      throw asApiError(err, field, 'render_failed');
    }
  }
  // .length only: a huge result is refused before anything reads its characters.
  if (out.length > limit) throw tooLarge(field, ctx.channel, limit, ctx.channel === 'sms' ? 'characters' : 'bytes');
  return out;
}

/** Plain text from HTML for the text/plain part: good enough for clients that do not show HTML. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr)>/gi, '\n')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function renderPush(src: Record<string, unknown>, ctx: FieldContext): PushContent {
  const out: PushContent = {};
  for (const k of ['title', 'body', 'sound', 'image', 'url'] as const) {
    const v = src[k];
    if (typeof v === 'string') out[k] = renderString(v, ctx, `${ctx.channel}.${k}`);
  }
  if (typeof src.badge === 'number') out.badge = src.badge;
  if (src.data && typeof src.data === 'object') {
    out.data = {};
    for (const [k, v] of Object.entries(src.data as Record<string, unknown>)) {
      // FCM requires string values; non-strings are sent as their JSON text.
      out.data[k] = typeof v === 'string' ? renderString(v, ctx, `${ctx.channel}.data.${k}`) : JSON.stringify(v);
    }
  }
  return out;
}

const utf8 = (s: string | undefined) => (s ? Buffer.byteLength(s) : 0);

/** Render the requested channels. */
export function renderChannels(source: ChannelSource, scope: object, channels: Iterable<string>, opts: RenderOptions = {}): ChannelContent {
  const literal = opts.literal ?? false;
  const out: ChannelContent = {};
  for (const ch of channels) {
    const src = source[ch];
    if (!src) continue;
    if (ch === 'push' || ch === 'web') {
      // Each field is bounded here; the whole payload is checked exactly by the provider's adapter (payload_too_large).
      out[ch] = literal ? stringifyData(src as PushContent) : renderPush(src, { scope, opts, channel: ch });
    } else if (ch === 'sms') {
      const text = typeof src.text === 'string' ? (literal ? src.text : renderString(src.text, { scope, opts, channel: 'sms' }, 'sms.text')) : '';
      if (text.length > CONTENT_LIMITS.sms) throw tooLarge('content.sms.text', 'sms', CONTENT_LIMITS.sms, 'characters');
      out.sms = { text };
    } else if (ch === 'email') {
      const ctx: FieldContext = { scope, opts, channel: 'email' };
      const str = (v: unknown, path: string) => (typeof v === 'string' ? (literal ? v : renderString(v, ctx, path)) : undefined);
      const html = str(src.html, 'email.html');
      const subject = str(src.subject, 'email.subject') ?? '';
      if (utf8(html) + utf8(subject) > CONTENT_LIMITS.email) throw tooLarge('content.email', 'email', CONTENT_LIMITS.email, 'bytes');
      const text = str(src.text, 'email.text') ?? (html ? htmlToText(html) : '');
      if (utf8(html) + utf8(subject) + utf8(text) > CONTENT_LIMITS.email) throw tooLarge('content.email', 'email', CONTENT_LIMITS.email, 'bytes');
      const email: EmailContent = { subject, text };
      if (html !== undefined) email.html = html;
      out.email = email;
    }
  }
  return out;
}

function stringifyData(p: PushContent): PushContent {
  if (!p.data) return { ...p };
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.data as Record<string, unknown>)) data[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return { ...p, data };
}

/** Locale override: exact tag, then its language, then the default content, merged field by field. */
export function pickLocale(
  channels: ChannelSource,
  locales: Record<string, ChannelSource> | null | undefined,
  locale: string | null | undefined,
): ChannelSource {
  if (!locales || !locale) return channels;
  const lang = locale.split(/[-_]/)[0];
  const override = locales[locale] ?? locales[lang] ?? Object.entries(locales).find(([k]) => k.toLowerCase() === locale.toLowerCase())?.[1];
  if (!override) return channels;
  const merged: ChannelSource = { ...channels };
  for (const [ch, fields] of Object.entries(override)) merged[ch] = { ...(channels[ch] ?? {}), ...fields };
  return merged;
}
