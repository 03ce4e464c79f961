import { Liquid, type FS, type FilterImplOptions, type Template } from 'liquidjs';
import { ApiError } from '../domain/errors.js';

/**
 * The one Liquid engine, with no file system and bounded work (SPEC §11). Only `render.ts` and the
 * partial resolution use it; nothing else in Herald calls a template engine.
 *
 * liquidjs's own limits were measured against hostile templates (test `render-limits.test.ts`) and do
 * not hold alone: `capture` builds strings outside `memoryLimit` (ten doublings of a captured string
 * made a 335 MB string in 1.8 s, past the 100 ms `renderLimit`, which is only checked between nodes),
 * and a single filter call is not interrupted (`sort` over an app's own 400,000-element param took
 * 1.4 s). So captures are charged to the memory limit and every filter's input is bounded below.
 */

/** Wall time of one field's render; it is synchronous, so this is its CPU time too. */
export const RENDER_MS = 100;
/** liquidjs counts allocated string characters and array elements; ~1M of them is a few MB. */
export const MEMORY_UNITS = 1_000_000;
/** Characters of template source parsed in one call: the largest field (email html, 1 MB) and change. */
export const PARSE_CHARS = 1_100_000;
/**
 * Liquid tags and outputs in one field. liquidjs parses in more than linear time in their number
 * (measured: 10,000 `{% if %}` blocks 0.4 s, 40,000 6.3 s; 40,000 lines in a `{% liquid %}` tag 5.9 s),
 * and a parse cannot be interrupted, so the count is bounded before parsing (1,000: ~50 ms).
 */
export const PARSE_TAGS = 1_000;

/** Tags, outputs, and the statements of `{% liquid %}` tags (a line each). */
function tagCount(source: string): number {
  let n = 0;
  for (let i = source.indexOf('{'); i !== -1; i = source.indexOf('{', i + 1)) {
    const next = source.charCodeAt(i + 1);
    if (next === 123 /* { */ || next === 37 /* % */) n++;
  }
  if (/\{%-?\s*liquid\b/.test(source)) for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) n++;
  return n;
}
/**
 * Largest array one filter call may take. A filter runs to its end once called (sort, where, group_by
 * cost 3–4 µs an element), so this bounds one call to ~40 ms while the render limit bounds the rest.
 */
export const FILTER_ITEMS = 10_000;
/** Largest string one filter call may take: the largest field a channel allows (email, 1 MB). */
export const FILTER_CHARS = 1_048_576;

/**
 * The partials of the render in progress, by template key. Liquid resolves `render`/`include`/`layout`
 * through the FS below while a synchronous render runs, so a module-level slot set just around that
 * call is exact: nothing else can run in between. Outside a render it is empty: nothing resolves.
 */
let partials: ReadonlyMap<string, string> = new Map();

/** Runs `fn` (synchronous) with these partials resolvable, and no others. */
export function withPartials<T>(map: ReadonlyMap<string, string>, fn: () => T): T {
  const before = partials;
  partials = map;
  try {
    return fn();
  } finally {
    partials = before;
  }
}

const noSuchPartial = (file: string) => Object.assign(new Error(`ENOENT: there is no template "${file}" with this field to render`), { code: 'ENOENT' });

// Every lookup answers from `partials`: there is no path, directory or real file behind any name.
const templateFs: FS = {
  exists: async (file) => partials.has(file),
  existsSync: (file) => partials.has(file),
  readFile: async (file) => {
    const src = partials.get(file);
    if (src === undefined) throw noSuchPartial(file);
    return src;
  },
  readFileSync: (file) => {
    const src = partials.get(file);
    if (src === undefined) throw noSuchPartial(file);
    return src;
  },
  resolve: (_root, file) => file,
  contains: async () => true,
  containsSync: () => true,
  dirname: () => '',
  sep: '/',
};

function chargeInputs(ctx: { context: { memoryLimit: { use(n: number): void } } }, args: unknown[]): void {
  for (const a of args) {
    if (typeof a === 'string') {
      if (a.length > FILTER_CHARS) throw new RenderLimit(`a filter was given ${a.length} characters (at most ${FILTER_CHARS})`);
    } else if (Array.isArray(a)) {
      if (a.length > FILTER_ITEMS) throw new RenderLimit(`a filter was given ${a.length} items (at most ${FILTER_ITEMS})`);
      ctx.context.memoryLimit.use(a.length);
    }
  }
}

/** A limit was reached: the template is refused with `render_limit`. */
export class RenderLimit extends Error {}

function boundedEngine(): Liquid {
  const liquid = new Liquid({
    // strictVariables: a missing variable is an error at send time instead of a blank in an inbox;
    // ownPropertyOnly keeps templates away from prototypes (no code execution through Liquid).
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    cache: false,
    fs: templateFs,
    root: [''],
    relativeReference: false,
    extname: '',
    parseLimit: PARSE_CHARS,
    renderLimit: RENDER_MS,
    memoryLimit: MEMORY_UNITS,
  });
  for (const [name, impl] of Object.entries(liquid.filters as Record<string, FilterImplOptions>)) {
    if (name === 'size' || name === 'default') continue; // O(1), and often used on large params
    const handler = typeof impl === 'function' ? impl : impl.handler;
    const raw = typeof impl === 'function' ? false : impl.raw;
    liquid.registerFilter(name, {
      raw,
      handler(this: Parameters<typeof chargeInputs>[0], ...args: unknown[]) {
        chargeInputs(this, args);
        return handler.apply(this as never, args as never);
      },
    });
  }
  // capture: the same tag, with what it captured charged to the memory limit.
  const Capture = liquid.tags.capture as unknown as new (...a: never[]) => { variable: string; render(ctx: unknown, emitter: unknown): Generator };
  liquid.registerTag(
    'capture',
    class extends Capture {
      *render(ctx: { memoryLimit: { use(n: number): void }; bottom(): Record<string, unknown> }, emitter: unknown): Generator<unknown, void, unknown> {
        yield* super.render(ctx, emitter);
        const v = ctx.bottom()[this.variable];
        if (typeof v === 'string') ctx.memoryLimit.use(v.length);
      }
    } as never,
  );
  return liquid;
}

export const engine = boundedEngine();

/** Parsed templates by source text: most sends reuse a handful of templates, and parsing is the costly part. */
const parsed = new Map<string, Template[]>();
const PARSED_MAX = 5000;

export function parse(source: string, field: string): Template[] {
  let t = parsed.get(source);
  if (!t) {
    const tags = tagCount(source);
    if (tags > PARSE_TAGS) throw new ApiError(400, 'render_limit', `${field}: ${tags} Liquid tags and outputs; a field takes at most ${PARSE_TAGS}`, field);
    try {
      t = engine.parse(source);
    } catch (err) {
      throw asApiError(err, field, 'invalid_template');
    }
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
    parsed.set(source, t);
  }
  return t;
}

const LIMIT_MESSAGES = /limit exceeded|Maximum call stack size exceeded|Invalid string length|Invalid array length|allocation failed/;

/** Maps what liquidjs (or V8 under it) threw to the error envelope; limits are `render_limit`. */
export function asApiError(err: unknown, field: string, otherwise: 'invalid_template' | 'render_failed'): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as Error & { originalError?: unknown };
  const inner = e?.originalError instanceof Error ? e.originalError : undefined;
  if (inner instanceof ApiError) return inner;
  const msg = String(e?.message ?? err);
  if (inner instanceof RenderLimit || err instanceof RenderLimit || LIMIT_MESSAGES.test(msg) || err instanceof RangeError || inner instanceof RangeError) {
    return new ApiError(400, 'render_limit', `${field}: the template does more work than a template may (at most ${RENDER_MS} ms and about ${MEMORY_UNITS.toLocaleString('en')} characters or items): ${msg.slice(0, 200)}`, field);
  }
  const m = /undefined variable: ([^,\s]+)/.exec(msg);
  if (m && otherwise === 'render_failed') return new ApiError(400, 'missing_variable', `template variable "${m[1]}" is missing (${field})`, m[1]);
  if (/ENOENT/.test(msg)) return new ApiError(400, 'invalid_template', `${field}: ${msg.replace(/^.*?ENOENT:\s*/, '').slice(0, 200)}`, field);
  return new ApiError(400, otherwise, `${field}: ${msg.slice(0, 300)}`, field);
}
