import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess, api, basicAuth, http, probe } from './helpers/hostile-server.js';
import { AUTH16, P256DH, deepArr, deepObj } from './hostile-cases.js';

/**
 * Property-based fuzz of every JSON route in /openapi.json (issue 12): a few thousand generated bodies —
 * arbitrary JSON, valid bodies with a field replaced, added or removed, raw JSON text with deep nesting,
 * NUL and lone-surrogate escapes and odd number literals spliced in, garbage, other content types — sent
 * to a real `herald serve` on SQLite. The property: never a 5xx, never a request left unanswered, the
 * error envelope for every 4xx, no file content or master key in any answer; /healthz answers after the
 * run and the process never restarted. Every violation is collected (not only the first, shrunk one) and
 * printed, so one run lists everything that is still open. Fixed seed; NUM_RUNS sized to stay well under
 * a minute on two cores (HERALD_FUZZ_RUNS overrides it).
 */
const NUM_RUNS = Number(process.env.HERALD_FUZZ_RUNS ?? 4000);
const SEED = Number(process.env.HERALD_FUZZ_SEED ?? 20261204);
const KEY = 'fuzz-key';
const SECRET = 'fuzz-secret-0123456789';
const MARK = '\u0001MARK\u0001';

// Valid bodies per route (method + OpenAPI path). Outbound URLs are loopback literals only: the guard
// refuses them, and a mutation can only replace them with values that are not URLs, so the fuzz never
// makes Herald look up or reach any other address.
const FAR = '2030-01-01T09:00:00Z';
const BASES: Record<string, unknown[]> = {
  'PUT /v1/users/{id}': [{ email: 'f@example.com', phone: '+14155552671', name: 'F', locale: 'en-GB', timezone: 'Europe/Berlin', data: { plan: 'pro', n: 3, tags: ['a'] } }],
  'POST /v1/users/{id}/devices': [{ platform: 'ios', token: 'ab'.repeat(32) }, { platform: 'web', subscription: { endpoint: 'https://127.0.0.1:1/sub', keys: { p256dh: P256DH, auth: AUTH16 } } }],
  'PUT /v1/users/{id}/preferences': [{ channels: { sms: false, push: true }, categories: { marketing: { email: false } }, quiet_hours: { start: '22:00', end: '07:00' } }],
  'PUT /v1/settings': [{ frequency_caps: { sms: { limit: 3, window_s: 3600 } }, default_timezone: 'Europe/Berlin', retention: { events_days: 30 } }],
  'PUT /v1/templates/{key}': [
    { category: 'orders', channels: { push: { title: 'Hi {{ params.name }}', body: 'b', badge: 1, data: { k: '{{ params.name }}' } }, sms: { text: 'Hi {{ params.name }}' }, email: { subject: 's', html: '<p>{{ params.name }}</p>' } }, locales: { 'pt-BR': { sms: { text: 'Olá' } } } },
  ],
  'POST /v1/templates/{key}/preview': [{ params: { name: 'x' }, locale: 'pt-BR' }, { params: { name: 'x' }, user_id: 'ada' }],
  'POST /v1/notifications': [
    { to: { email: 'f@example.com' }, content: { email: { subject: 's', text: 't' } }, send_at: FAR },
    { user_id: 'ada', template: 'ok_tpl', params: { name: 'x' }, channels: ['sms'], priority: 'high', ttl: 3600, event_id: 'fz-1' },
    { user_ids: ['ada', 'ghost'], content: { sms: { text: 'x' } }, send_at_local: '09:00', date: '2030-01-02' },
  ],
  'POST /v1/notifications/batch': [{ notifications: [{ to: { phone: '+14155552671' }, content: { sms: { text: 'x' } }, send_at: FAR }, { user_id: 'ada', template: 'ok_tpl', params: { name: 'y' }, send_at: FAR }] }],
  'PUT /v1/providers/{name}': [{ api_key: 'k', from: 'a@example.com', endpoint: 'https://127.0.0.1:1', priority: 5 }],
  'POST /v1/schedules': [{ name: 'n', cron: '0 0 29 2 *', timezone: 'Europe/Berlin', notification: { user_id: 'ada', template: 'ok_tpl', params: { name: 'x' } } }],
  'PUT /v1/webhooks/{id}': [{ url: 'http://127.0.0.1:1/hook', events: ['delivered', 'alert.*'], secret: 'whsec-0123456789abcdef', enabled: false }],
  'POST /v1/users/{id}/tokens': [{ ttl: 3600 }],
  'POST /v1/me/devices': [{ platform: 'android', token: `fcm-token_${'x'.repeat(140)}` }],
  'PUT /v1/me/preferences': [{ channels: { email: false }, categories: { news: { push: false } } }],
  'POST /v1/me/notifications': [{ template: 'ok_tpl', params: { name: 'x' }, send_at: FAR }],
  'POST /v1/me/events': [{ type: 'opened', delivery_id: '01890a5d-ac96-774b-bcce-b302099a8057' }],
};

const PARAM_VALUES: Record<string, string[]> = {
  '/v1/users/{id}': ['ada', 'fuzz-u', 'tok-user'],
  '/v1/templates/{key}': ['fuzz-t'],
  '/v1/templates/{key}/preview': ['ok_tpl'],
  '/v1/providers/{name}': ['sendgrid', 'twilio', 'apns', 'fcm', 'webpush', 'vonage'],
  '/v1/webhooks/{id}': ['fuzz-w'],
};

const ODD_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e',
  '\ufeff',
  '',
  ' ',
  '../../etc/passwd',
  "'; DROP TABLE users; --",
  '{{ params }}',
  '{% include "data/secret.key" %}',
  '9'.repeat(400),
  'ü'.repeat(300),
  '😀'.repeat(100),
  '2027-02-30T09:00:00Z',
  '* * * * * *',
  'https://127.0.0.1:1/x',
  'http://[::1]:1/',
  '__proto__',
  'constructor',
];
// Raw JSON text spliced in where a value goes: what JSON.stringify would never write.
const RAW_VALUES = ['"\\u0000"', '"\\ud800"', '"\\udc00x"', '"a\\ud83d"', '1e999', '-0', '1E400', '0.0000000000000000000000001', '123456789012345678901234567890', '"\\uffff"', 'true', '[]', '{}'];

const weird: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.constantFrom(...ODD_STRINGS), weight: 4 },
  { arbitrary: fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, 2 ** 31, 1.5, -2.5, 1e-300, 99999, 100000), weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 45 }).map((n) => JSON.parse(deepObj(n))), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => `x${i}`)), weight: 1 },
  { arbitrary: fc.constantFrom(null, true, false, {}, []), weight: 2 },
);

type Path = (string | number)[];
function pathsOf(v: unknown, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [prefix];
  const out: Path[] = prefix.length ? [prefix] : [];
  for (const [k, child] of Array.isArray(v) ? v.map((c, i) => [i, c] as const) : Object.entries(v)) out.push(...pathsOf(child, [...prefix, k]));
  return out;
}
function setAt(root: unknown, p: Path, value: unknown, op: 'replace' | 'add' | 'delete'): unknown {
  if (p.length === 0) return value;
  const copy = structuredClone(root) as any;
  let cur = copy;
  for (const k of p.slice(0, -1)) cur = cur[k];
  const last = p[p.length - 1];
  if (op === 'delete' && !Array.isArray(cur)) delete cur[last];
  else if (op === 'add' && cur[last] && typeof cur[last] === 'object' && !Array.isArray(cur[last])) cur[last][`fz_${String(value).slice(0, 8)}`] = value;
  else cur[last] = value;
  return copy;
}

interface Input {
  route: string;
  param: string;
  body: string;
  contentType?: string;
  kind: string;
}

function inputs(routes: string[]): fc.Arbitrary<Input> {
  const route = fc.constantFrom(...routes);
  const base = (r: string) => fc.constantFrom(...(BASES[r] ?? [{}]));
  const param = (r: string) => {
    const tpl = r.split(' ')[1];
    const prefix = Object.keys(PARAM_VALUES).find((p) => tpl === p || tpl.startsWith(`${p}/`));
    const known = fc.constantFrom(...(prefix ? PARAM_VALUES[prefix] : ['fuzz']));
    return fc.oneof({ arbitrary: known, weight: 19 }, { arbitrary: fc.string({ maxLength: 60 }).map((s) => encodeURIComponent(s) || 'x'), weight: 1 });
  };
  const body = (r: string): fc.Arbitrary<{ body: string; kind: string }> =>
    fc.oneof(
      { arbitrary: base(r).map((b) => ({ body: JSON.stringify(b), kind: 'valid' })), weight: 2 },
      {
        arbitrary: fc.tuple(base(r), fc.nat(), weird, fc.constantFrom('replace', 'replace', 'add', 'delete') as fc.Arbitrary<'replace' | 'add' | 'delete'>).map(([b, i, v, op]) => {
          const ps = pathsOf(b);
          return { body: JSON.stringify(setAt(b, ps[i % ps.length] ?? [], v, op)) ?? 'null', kind: `mutated-${op}` };
        }),
        weight: 6,
      },
      {
        arbitrary: fc.tuple(base(r), fc.nat(), fc.oneof(fc.constantFrom(...RAW_VALUES), fc.integer({ min: 20, max: 3000 }).map((n) => (n % 2 ? deepObj(n) : deepArr(n))))).map(([b, i, raw]) => {
          const ps = pathsOf(b).filter((p) => p.length > 0);
          const p = ps[i % ps.length];
          return { body: p ? JSON.stringify(setAt(b, p, MARK, 'replace')).replace(JSON.stringify(MARK), raw) : raw, kind: 'raw-splice' };
        }),
        weight: 4,
      },
      { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ body: JSON.stringify(v) ?? 'null', kind: 'json-value' })), weight: 3 },
      { arbitrary: fc.object({ maxDepth: 3 }).map((v) => ({ body: JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x === undefined ? null : x)) ?? '{}', kind: 'object' })), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ body: s, kind: 'garbage' })), weight: 1 },
      { arbitrary: fc.integer({ min: 30, max: 20000 }).map((n) => ({ body: n % 2 ? deepObj(n) : deepArr(n), kind: 'deep' })), weight: 1 },
    );
  const contentType = fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 30 },
    { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/vnd.api+json'), weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
  return route.chain((r) => fc.record({ route: fc.constant(r), param: param(r), b: body(r), contentType })).map(({ route: r, param: p, b, contentType: ct }) => ({ route: r, param: p, body: b.body, kind: b.kind, contentType: ct }));
}

describe('fuzz: generated bodies on every JSON route never get a 5xx', () => {
  let server: HeraldProcess;
  let token = '';
  let routes: string[] = [];

  beforeAll(async () => {
    server = new HeraldProcess({ key: KEY, secret: SECRET, logLevel: 'error' });
    await server.start();
    const A = basicAuth(KEY, SECRET);
    const u = server.url;
    await api(u, A, 'PUT', '/v1/settings', { api_rate_limit: { limit: 100_000_000, window_s: 60 }, client_templates: ['ok_tpl'] });
    await api(u, A, 'PUT', '/v1/users/ada', { email: 'ada@example.com', phone: '+14155552671', name: 'Ada' });
    await api(u, A, 'PUT', '/v1/users/tok-user', { email: 'tok@example.com' });
    await api(u, A, 'PUT', '/v1/templates/ok_tpl', { channels: { push: { title: 'Hi {{ params.name }}' }, sms: { text: 'Hi {{ params.name }}' }, email: { subject: 'Hi', html: '<p>{{ params.name }}</p>' } } });
    token = (await api(u, A, 'POST', '/v1/users/tok-user/tokens', { ttl: 3600 })).json.token;
    const doc = (await http(u, { method: 'GET', path: '/openapi.json' })).json as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([m, op]) => ['put', 'post', 'patch'].includes(m) && op?.requestBody && !p.startsWith('/hooks/'))
        .map(([m]) => `${m.toUpperCase()} ${p}`),
    );
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it(`${NUM_RUNS} generated requests (seed ${SEED}): status < 500, the envelope on errors, nothing leaked`, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const A = basicAuth(KEY, SECRET);
    const secrets = server.secrets();
    const failures: { input: Input; problem: string }[] = [];
    const byKind = new Map<string, number>();
    const byStatus = new Map<number, number>();
    let runs = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(inputs(routes), async (input) => {
        runs++;
        byKind.set(input.kind, (byKind.get(input.kind) ?? 0) + 1);
        const [method, tpl] = input.route.split(' ');
        const path = tpl.replace(/\{[^}]+\}/g, input.param);
        const headers: Record<string, string> = { authorization: path.startsWith('/v1/me/') ? `Bearer ${token}` : A };
        if (input.contentType) headers['content-type'] = input.contentType;
        let problem: string | undefined;
        try {
          const r = await http(server.url, { method, path, headers, body: input.body, timeoutMs: 5000 });
          byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
          if (r.status >= 500) problem = `${r.status} ${r.text.slice(0, 200)}`;
          else if (r.status >= 400 && !(typeof r.json?.error?.code === 'string' && typeof r.json?.error?.message === 'string')) problem = `${r.status} without the error envelope: ${r.text.slice(0, 200)}`;
          else if (secrets.some((s) => r.text.includes(s))) problem = `${r.status}: the answer contains file content or the master key`;
        } catch (err) {
          problem = `no answer: ${(err as Error).message}`;
          if (!server.alive) {
            problem += ` (the process died: ${server.output().slice(-300)})`;
            await server.restart();
          }
        }
        if (problem) failures.push({ input, problem });
        return true; // failures are collected, not shrunk: the report lists all of them
      }),
      { numRuns: NUM_RUNS, seed: SEED, interruptAfterTimeLimit: 100_000, markInterruptAsFailure: false },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `[fuzz] ${runs} requests in ${seconds} s over ${routes.length} routes; kinds ${JSON.stringify(Object.fromEntries(byKind))}; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}; ${failures.length} violations`,
    );
    const distinct = new Map<string, { input: Input; problem: string; n: number }>();
    for (const f of failures) {
      const k = `${f.input.route} ${f.problem.slice(0, 80)}`;
      const d = distinct.get(k);
      if (d) d.n++;
      else distinct.set(k, { ...f, n: 1 });
    }
    for (const d of [...distinct.values()].slice(0, 30)) console.log(`[fuzz] ×${d.n} ${d.input.route} (${d.input.kind}, ${d.input.contentType ?? 'no content-type'}) param=${d.input.param}: ${d.problem}\n        body: ${d.input.body.slice(0, 300)}`);
    expect(runs).toBeGreaterThanOrEqual(Math.min(NUM_RUNS, 500));
    expect(failures.map((f) => `${f.input.route}: ${f.problem.slice(0, 160)}`)).toEqual([]);
    expect((await probe(server.url, 1000)).ok).toBe(true);
    expect(server.starts, 'the process had to be restarted').toBe(1);
  }, 150_000);
});
