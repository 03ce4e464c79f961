import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../domain/errors.js';
import { checkTemplateLimits, checkTemplateSyntax, loadPartials, renderChannels, type ChannelSource, type PartialLibrary } from './render.js';

/**
 * Hostile templates against the renderer (SPEC §11): each is refused with `render_limit` or
 * `content_too_large`, within a bounded time, and no template reaches a file. The bombs that escaped
 * liquidjs's own limits before this module bounded them are marked.
 */

const scope = { params: {}, user: {}, app: {} };

function refusal(source: ChannelSource, params: object = {}, partials?: PartialLibrary): { code: string; ms: number } {
  const t0 = performance.now();
  try {
    renderChannels(source, { ...scope, params }, Object.keys(source), { partials });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { code: err.code, ms: performance.now() - t0 };
  }
  throw new Error('rendered without a refusal');
}

const sms = (text: string): ChannelSource => ({ sms: { text } });
const email = (html: string): ChannelSource => ({ email: { subject: 's', html } });

// Each must stop in well under a second: the render limit is 100 ms, one filter call ~40 ms at most.
const BOUND_MS = 600;

describe('hostile templates', () => {
  const bombs: [string, ChannelSource, object?][] = [
    ['doubling a string with append', sms('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}')],
    ['doubling with prepend', email('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | prepend: s %}{% endfor %}{{ s }}')],
    // Escaped liquidjs's memoryLimit and renderLimit: 335 MB in 1.8 s before captures were charged.
    ['doubling with capture', email('{% capture s %}xxxxxxxxxx{% endcapture %}{% for i in (1..25) %}{% capture s %}{{s}}{{s}}{% endcapture %}{% endfor %}{{ s }}')],
    ['doubling with capture inside a liquid tag', email('{% liquid\nassign s = "xxxxxxxxxx"\nfor i in (1..30)\ncapture s\necho s\necho s\nendcapture\nendfor\necho s %}')],
    ['a nested 10⁴×10⁴ loop', sms('{% for a in (1..10000) %}{% for b in (1..10000) %}{% endfor %}{% endfor %}')],
    ['a loop over a billion', sms('{% for a in (1..1000000000) %}{% endfor %}')],
    ['replace explosion', email('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | replace: "x", s %}{% endfor %}{{ s }}')],
    ['split/join explosion', email('{% assign s = "x,x,x,x,x,x,x,x,x,x" %}{% for i in (1..40) %}{% assign a = s | split: "" %}{% assign s = a | join: s %}{% endfor %}{{ s }}')],
    ['concat explosion', email('{% assign a = "x" | split: "," %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}{{ a | size }}')],
    ['json of json', email('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | json %}{% endfor %}{{ s | size }}')],
    ['a wide date format', sms('{{ "now" | date: "%100000000Y" }}')],
    // Escaped the render limit: one sort over an app's own 400,000-element param took 1.4 s.
    ['sort over a huge param', sms('{% assign b = params.big | sort %}{{ b | size }}'), { big: Array.from({ length: 400_000 }, (_, i) => String(i)) }],
    ['where over a huge param', sms('{% assign b = params.big | where: "k", "5" %}{{ b | size }}'), { big: Array.from({ length: 200_000 }, (_, i) => ({ k: String(i) })) }],
    ['output in a tight loop', email('{% for i in (1..100000000) %}{{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }}{% endfor %}')],
    ['cycle in a tight loop', sms('{% for i in (1..100000000) %}{% cycle "a", "b" %}{% endfor %}')],
    ['tags nested 5,000 deep', sms('{% if true %}'.repeat(5000) + 'x' + '{% endif %}'.repeat(5000))],
    // Parsing is more than linear in the tag count and cannot be interrupted: 70,000 outputs took 3.9 s.
    ['70,000 outputs in a 1 MB field', email('{{ params.a }}'.repeat(70_000)), { a: 'x' }],
    ['40,000 statements in a liquid tag', email('{% liquid\n' + 'if a\necho "x"\nendif\n'.repeat(40_000) + '%}')],
  ];

  for (const [name, source, params] of bombs) {
    it(`refuses ${name}`, () => {
      const { code, ms } = refusal(source, params);
      expect(['render_limit', 'content_too_large', 'invalid_template']).toContain(code);
      expect(ms).toBeLessThan(BOUND_MS);
    });
  }

  it('refuses output over each channel’s limit with content_too_large, inline content included', () => {
    expect(refusal(sms('{% for i in (1..1601) %}x{% endfor %}')).code).toBe('content_too_large');
    expect(refusal({ push: { title: '{% for i in (1..5000) %}x{% endfor %}' } }).code).toBe('content_too_large');
    expect(refusal(email('{% for i in (1..30000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}')).code).toBe('content_too_large');
    expect(() => renderChannels(sms('x'.repeat(1601)), scope, ['sms'], { literal: true })).toThrow(/over 1,600 characters/);
    expect(renderChannels(sms('{% for i in (1..1600) %}x{% endfor %}'), scope, ['sms']).sms!.text).toHaveLength(1600);
  });

  it('takes up to 1,000 tags in a field', () => {
    expect(renderChannels(email('{{ params.a }}'.repeat(1000)), { ...scope, params: { a: 'y' } }, ['email']).email!.html).toBe('y'.repeat(1000));
    expect(refusal(email('{{ params.a }}'.repeat(1001)), { a: 'y' }).code).toBe('render_limit');
  });

  it('keeps ordinary templates working, filters on params included', () => {
    const out = renderChannels(
      { sms: { text: 'Hi {{ params.names | sort | join: ", " }} ({{ params.names | size }}){% capture c %}{{ params.n | plus: 1 }}{% endcapture %} {{ c }}' } },
      { ...scope, params: { names: ['b', 'a'], n: 41 } },
      ['sms'],
    );
    expect(out.sms!.text).toBe('Hi a, b (2) 42');
  });

  it('checks limits at save time with no data, and leaves data-dependent errors to the send', () => {
    expect(() => checkTemplateLimits(sms('{% assign s = "x" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}'), null, new Map())).toThrow(ApiError);
    expect(() => checkTemplateLimits(sms('Hello {{ params.name | upcase }}'), null, new Map())).not.toThrow();
    expect(() => checkTemplateLimits(sms('ok'), { de: sms('{% for i in (1..2000) %}x{% endfor %}') }, new Map())).toThrow(/content_too_large|over 1,600/);
  });
});

describe('partials and layouts', () => {
  const lib = (templates: Record<string, ChannelSource>): PartialLibrary => new Map(Object.entries(templates).map(([k, channels]) => [k, { channels, locales: null }]));

  it('resolve to the same app’s templates, same channel and field, in the recipient’s locale', async () => {
    const partials = await loadPartials([{ channels: email('{% render "footer" %}'), locales: null }], async (keys) =>
      keys.includes('footer') ? [{ key: 'footer', channels: JSON.stringify({ email: { html: '<p>Footer {{ who }}</p>' }, sms: { text: 'sms footer' } }), locales: JSON.stringify({ de: { email: { html: '<p>Fußzeile</p>' } } }) }] : [],
    );
    const html = (locale: string | null) => renderChannels(email('Hi{% render "footer", who: "you" %}'), scope, ['email'], { partials, locale }).email!.html;
    expect(html(null)).toBe('Hi<p>Footer you</p>');
    expect(html('de-AT')).toBe('Hi<p>Fußzeile</p>');
    const layout = lib({ base: email('<main>{% block body %}default{% endblock %}</main>') });
    expect(renderChannels(email('{% layout "base" %}{% block body %}mine{% endblock %}'), scope, ['email'], { partials: layout }).email!.html).toBe('<main>mine</main>');
  });

  it('never read a file: not the data dir, not an absolute path, not a relative one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-render-'));
    writeFileSync(path.join(dir, 'secret.key'), 'TOP-SECRET-KEY');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const ref of ['"secret.key"', '"./secret.key"', `"${path.join(dir, 'secret.key')}"`, '"/etc/passwd"', '"../../etc/passwd"']) {
        for (const tag of ['render', 'include', 'layout']) {
          let out = '';
          try {
            out = renderChannels(email(`{% ${tag} ${ref} %}`), scope, ['email']).email!.html ?? '';
          } catch (err) {
            expect(err).toBeInstanceOf(ApiError);
            out = (err as Error).message;
          }
          expect(out).not.toContain('TOP-SECRET-KEY');
          expect(out).not.toMatch(/root:/);
        }
      }
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8')).toBe('TOP-SECRET-KEY');
  });

  it('are checked with the rest of the syntax at save, fields without tags included', () => {
    expect(() => checkTemplateSyntax(email('{{ params.x | nosuchfilter }}'), 'channels')).toThrow(/nosuchfilter/);
    expect(() => checkTemplateSyntax(email('{% render params.x %}'), 'channels')).toThrow(/by its key in quotes/);
    expect(() => checkTemplateSyntax(email('{% render "footer" %}{{ params.x | upcase }}'), 'channels')).not.toThrow();
  });

  it('must be named by a quoted template key, not a variable', () => {
    expect(() => renderChannels(email('{% render params.which %}'), { ...scope, params: { which: 'x' } }, ['email'])).toThrow(/by its key in quotes/);
    expect(() => renderChannels(email('{% include "a{{ params.x }}" %}'), scope, ['email'])).toThrow(/by its key in quotes/);
  });

  it('refuses cycles and deep nesting before rendering', () => {
    const cyc = lib({ self: email('{% render "self" %}'), a: email('{% render "b" %}'), b: email('{% render "a" %}') });
    expect(refusal(email('{% render "self" %}'), {}, cyc).code).toBe('render_limit');
    expect(refusal(email('{% include "a" %}'), {}, cyc).code).toBe('render_limit');
    const deep = lib(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, email(`{% render "p${i + 1}" %}`)])));
    expect(refusal(email('{% render "p0" %}'), {}, deep).code).toBe('render_limit');
    // A partial named only in another channel is no cycle for this one.
    const mixed = lib({ a: { email: { subject: 's', html: 'A' }, sms: { text: '{% render "b" %}' } }, b: { email: { subject: 's', html: '{% render "a" %}' } } });
    expect(renderChannels(email('{% render "b" %}'), scope, ['email'], { partials: mixed }).email!.html).toBe('A');
  });

  it('load at most a bounded set of templates', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `{% render "t${i}" %}`).join('');
    await expect(loadPartials([{ channels: email(many), locales: null }], async (keys) => keys.map((k) => ({ key: k, channels: JSON.stringify(email('x')), locales: null })))).rejects.toThrow(/more than 32/);
  });
});
