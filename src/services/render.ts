import { Liquid, type Template } from 'liquidjs';
import { ApiError } from '../domain/errors.js';
import type { ChannelContent, EmailContent, PushContent } from '../domain/content.js';

/** Template content as stored: per channel, fields are Liquid source strings (push `data` values too). */
export type ChannelSource = Record<string, Record<string, unknown>>;

// strictVariables turns a missing variable into an error at send time instead of a blank in an inbox;
// ownPropertyOnly keeps templates away from prototypes (no code execution through Liquid).
const liquid = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true, cache: false });

/** Parsed templates by source text: most sends reuse a handful of templates, and parsing is the costly part. */
const parsed = new Map<string, Template[]>();
const PARSED_MAX = 5000;

function parse(source: string, field: string): Template[] {
  let t = parsed.get(source);
  if (!t) {
    try {
      t = liquid.parse(source);
    } catch (err) {
      throw new ApiError(400, 'invalid_template', `${field}: ${(err as Error).message}`, field);
    }
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
    parsed.set(source, t);
  }
  return t;
}

/** Check that every field parses, at PUT time, so a broken template is refused before any send. */
export function checkTemplateSyntax(channels: ChannelSource, prefix: string): void {
  for (const [channel, fields] of Object.entries(channels)) {
    for (const [name, value] of Object.entries(fields ?? {})) {
      if (typeof value === 'string') parse(value, `${prefix}.${channel}.${name}`);
      else if (name === 'data' && value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) if (typeof v === 'string') parse(v, `${prefix}.${channel}.data.${k}`);
      }
    }
  }
}

function renderString(source: string, scope: object, field: string): string {
  if (!source.includes('{')) return source;
  try {
    return liquid.renderSync(parse(source, field), scope) as string;
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const m = /undefined variable: ([^,\s]+)/.exec(msg);
    if (m) throw new ApiError(400, 'missing_variable', `template variable "${m[1]}" is missing (${field})`, m[1]);
    throw new ApiError(400, 'render_failed', `${field}: ${msg}`, field);
  }
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

function renderPush(src: Record<string, unknown>, scope: object, field: string): PushContent {
  const out: PushContent = {};
  for (const k of ['title', 'body', 'sound', 'image', 'url'] as const) {
    const v = src[k];
    if (typeof v === 'string') out[k] = renderString(v, scope, `${field}.${k}`);
  }
  if (typeof src.badge === 'number') out.badge = src.badge;
  if (src.data && typeof src.data === 'object') {
    out.data = {};
    for (const [k, v] of Object.entries(src.data as Record<string, unknown>)) {
      // FCM requires string values; non-strings are sent as their JSON text.
      out.data[k] = typeof v === 'string' ? renderString(v, scope, `${field}.data.${k}`) : JSON.stringify(v);
    }
  }
  return out;
}

/** Render the requested channels. `literal` content (inline, not a template) is not run through Liquid. */
export function renderChannels(source: ChannelSource, scope: object, channels: Iterable<string>, literal = false): ChannelContent {
  const s = literal ? {} : scope;
  const str = (v: unknown, field: string) => (typeof v === 'string' ? (literal ? v : renderString(v, s, field)) : undefined);
  const out: ChannelContent = {};
  for (const ch of channels) {
    const src = source[ch];
    if (!src) continue;
    if (ch === 'push' || ch === 'web') {
      out[ch] = literal ? stringifyData(src as PushContent) : renderPush(src, s, `content.${ch}`);
    } else if (ch === 'sms') {
      out.sms = { text: str(src.text, 'content.sms.text') ?? '' };
    } else if (ch === 'email') {
      const html = str(src.html, 'content.email.html');
      const text = str(src.text, 'content.email.text') ?? (html ? htmlToText(html) : '');
      const email: EmailContent = { subject: str(src.subject, 'content.email.subject') ?? '', text };
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
