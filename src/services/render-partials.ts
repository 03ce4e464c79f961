import { Tag, type Template } from 'liquidjs';
import { ApiError } from '../domain/errors.js';
import { parse } from './render-engine.js';

/**
 * Partials and layouts (SPEC §11): `{% render 'footer' %}`, `{% include 'footer' %}` and
 * `{% layout 'base' %}` name another template of the same app, and use that template's same channel
 * and field (an email's html renders the footer template's email html). They are loaded from the Store
 * before rendering, so the synchronous render never reaches anything but this app's templates.
 */

/** Channel content as stored: per channel, fields are Liquid source strings (push `data` values too). */
export type ChannelSource = Record<string, Record<string, unknown>>;

/** A template a render may pull in: its default content and locale overrides. */
export interface PartialTemplate {
  channels: ChannelSource;
  locales: Record<string, ChannelSource> | null;
}

/** The app's templates a render may reference, by key (latest versions). */
export type PartialLibrary = ReadonlyMap<string, PartialTemplate>;

export const NO_PARTIALS: PartialLibrary = new Map();

/** How deep partials may nest, and how many distinct templates one send may pull in. */
export const PARTIAL_DEPTH = 5;
export const PARTIAL_TEMPLATES = 32;

const TAGS = new Set(['render', 'include', 'layout']);
const TEMPLATE_KEY = /^[A-Za-z0-9._:@+-]{1,200}$/;

function childrenOf(t: Template): Template[] {
  const gen = (t as unknown as { children?: (partials: boolean, sync: boolean) => Generator<unknown, Template[]> }).children?.(false, true);
  if (!gen) return [];
  // Without partials no child list needs loading, so the generator returns at its first step.
  const step = gen.next();
  return step.done ? (step.value ?? []) : [];
}

/** Names by source text: a send renders the same few fields for every recipient, and the walk is per field. */
const namesBySource = new Map<string, string[]>();
const NAMES_MAX = 5000;

/** Template keys one field's source names in render/include/layout tags; a name must be a quoted template key. */
export function partialNames(source: string, field: string): string[] {
  if (!source.includes('{%')) return [];
  const known = namesBySource.get(source);
  if (known) return known;
  const names: string[] = [];
  const walk = (templates: Template[]) => {
    for (const t of templates) {
      if (t instanceof Tag && TAGS.has(t.name)) {
        const file = (t as unknown as { file?: unknown }).file;
        if (file === undefined && t.name === 'layout') continue; // {% layout none %}
        if (typeof file !== 'string' || !TEMPLATE_KEY.test(file)) {
          throw new ApiError(400, 'invalid_template', `${field}: {% ${t.name} %} names another template of this app by its key in quotes, e.g. {% ${t.name} 'footer' %}`, field);
        }
        names.push(file);
      }
      walk(childrenOf(t));
    }
  };
  walk(parse(source, field));
  if (namesBySource.size >= NAMES_MAX) namesBySource.delete(namesBySource.keys().next().value as string);
  namesBySource.set(source, names);
  return names;
}

/** Every string field of content, with its path (`email.html`, `push.data.url`). */
export function* fieldsOf(channels: ChannelSource): Generator<[path: string, source: string]> {
  for (const [channel, fields] of Object.entries(channels)) {
    for (const [name, value] of Object.entries(fields ?? {})) {
      if (typeof value === 'string') yield [`${channel}.${name}`, value];
      else if (name === 'data' && value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) if (typeof v === 'string') yield [`${channel}.data.${k}`, v];
      }
    }
  }
}

function fieldAt(channels: ChannelSource, path: string): string | undefined {
  const [channel, name, key] = path.split('.', 3);
  const fields = channels[channel];
  if (!fields) return undefined;
  const v = key !== undefined && name === 'data' ? (fields.data as Record<string, unknown> | undefined)?.[key] : fields[name];
  return typeof v === 'string' ? v : undefined;
}

function referencedBy(t: PartialTemplate): Set<string> {
  const keys = new Set<string>();
  const all = [t.channels, ...Object.values(t.locales ?? {})];
  for (const c of all) for (const [path, src] of fieldsOf(c)) for (const k of partialNames(src, path)) keys.add(k);
  return keys;
}

/**
 * The templates these contents reference, and those they reference in turn, loaded from the Store
 * with `fetch` (the app's latest versions). A key that does not exist is left out: rendering the field
 * that names it fails with `invalid_template`, as a send should.
 */
export async function loadPartials(
  contents: PartialTemplate[],
  fetch: (keys: string[]) => Promise<{ key: string; channels: string; locales: string | null }[]>,
): Promise<PartialLibrary> {
  const lib = new Map<string, PartialTemplate>();
  const seen = new Set<string>();
  let wanted = new Set<string>();
  for (const c of contents) for (const k of referencedBy(c)) wanted.add(k);
  for (let depth = 0; wanted.size && depth <= PARTIAL_DEPTH; depth++) {
    const keys = [...wanted].filter((k) => !seen.has(k));
    keys.forEach((k) => seen.add(k));
    if (seen.size > PARTIAL_TEMPLATES) {
      throw new ApiError(400, 'render_limit', `the template pulls in more than ${PARTIAL_TEMPLATES} other templates through render, include and layout`, 'template');
    }
    const rows = keys.length ? await fetch(keys) : [];
    wanted = new Set();
    for (const r of rows) {
      const t: PartialTemplate = { channels: JSON.parse(r.channels), locales: r.locales ? JSON.parse(r.locales) : null };
      lib.set(r.key, t);
      for (const k of referencedBy(t)) if (!seen.has(k)) wanted.add(k);
    }
  }
  return lib;
}

/**
 * The partial sources one field may resolve while it renders: key → that template's same field, in
 * the recipient's locale. Walks the references first, so a cycle or a nesting deeper than
 * PARTIAL_DEPTH is refused before any rendering.
 */
export function partialsForField(
  lib: PartialLibrary,
  path: string,
  root: string,
  pick: (t: PartialTemplate) => ChannelSource,
): Map<string, string> {
  const out = new Map<string, string>();
  if (!root.includes('{%')) return out;
  if (!lib.size) {
    partialNames(root, path); // names are checked even when there is nothing they could name
    return out;
  }
  const stack: string[] = [];
  const visit = (source: string, where: string) => {
    for (const key of partialNames(source, where)) {
      if (stack.includes(key)) throw new ApiError(400, 'render_limit', `${path}: templates render each other in a cycle (${[...stack, key].join(' → ')})`, path);
      if (stack.length >= PARTIAL_DEPTH) throw new ApiError(400, 'render_limit', `${path}: templates nest more than ${PARTIAL_DEPTH} deep through render, include and layout`, path);
      const t = lib.get(key);
      const src = t && fieldAt(pick(t), path);
      if (src === undefined) continue;
      out.set(key, src);
      stack.push(key);
      visit(src, `${key}:${path}`);
      stack.pop();
    }
  };
  visit(root, path);
  return out;
}
