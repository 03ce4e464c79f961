import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedTables, postgresFingerprinter, sqliteFingerprinter, type Fingerprinter } from './helpers/db-fingerprint.js';
import { HeraldProcess, api, basicAuth, http, probe, sleep, type RawRequest, type RawResponse } from './helpers/hostile-server.js';
import { freshPostgres } from './helpers/postgres.js';
import { TEMPLATE_FIXTURES, failsAuth, hostileCases, type HostileCase } from './hostile-cases.js';
import type { DbKind } from './helpers/herald.js';

/**
 * Hostile input against a real `herald serve` (SPEC §11, issue 12): the table in hostile-cases.ts, then
 * the failed-auth limit, then template features that must never reach the file system. Run by
 * hostile-input.test.ts (SQLite) and hostile-input.postgres.test.ts (PostgreSQL).
 *
 * How it is set up:
 * 1. A fresh working directory with `./data` as the data dir (see HeraldProcess), a second app made with
 *    `herald apps create`, then `herald serve` once WITH HERALD_ALLOW_PRIVATE_NETWORKS=1 to make fixtures
 *    that need a loopback address (a webhook, a provider endpoint) — the only way to have them without
 *    ever pointing Herald at a non-loopback address.
 * 2. The same data served again WITHOUT the flag: every case runs against that process.
 *
 * After each case: /healthz answered within 1 s (and kept answering while the request was pending), the
 * response is the error envelope with the expected status and code, no response carries file content or
 * the master key, and the database fingerprint (helpers/db-fingerprint.ts) is unchanged. A case that kills
 * or stalls the process is recorded and the process restarted on the same data, so the cases after it
 * still mean something. Every failure is also collected into a report printed at the end (and written to
 * $TMPDIR/herald-hostile-report-<db>.json) for whoever fixes them.
 */
export function hostileInputSuite(db: DbKind): void {
  const KEY = 'hostile-key';
  const SECRET = 'hostile-secret-0123456789';
  const cases = hostileCases();
  let server: HeraldProcess;
  let fp: Fingerprinter;
  let dropDb: (() => Promise<void>) | undefined;
  const fx = {
    other: { key: '', secret: '' },
    token: '',
    nid: '',
    did: '',
    sid: '',
    devId: '',
    p8: '',
    rsa: '',
    templates: new Set<string>(),
    refused: {} as Record<string, string>,
  };
  interface Outcome {
    cls: string;
    name: string;
    expected: string;
    actual: string;
    problems: string[];
  }
  const outcomes: Outcome[] = [];
  const refusedAtSave: string[] = [];

  const A = () => basicAuth(KEY, SECRET);
  const authHeader = (c: HostileCase): string | undefined => {
    switch (c.auth) {
      case 'app':
        return A();
      case 'other-app':
        return basicAuth(fx.other.key, fx.other.secret);
      case 'user-token':
        return `Bearer ${fx.token}`;
      case 'wrong-secret':
        return basicAuth(KEY, 'not-the-secret');
      case 'unknown-key':
        return basicAuth('no-such-key', SECRET);
      case 'malformed-basic':
        return 'Basic !!!not-base64!!!';
      case 'forged-token': {
        const i = Math.floor(fx.token.length / 2);
        return `Bearer ${fx.token.slice(0, i)}${fx.token[i] === 'A' ? 'B' : 'A'}${fx.token.slice(i + 1)}`;
      }
      case 'garbage-bearer':
        return 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.';
      case 'none':
        return undefined;
    }
  };
  const fill = (s: string) =>
    s
      .replaceAll('@NID@', fx.nid)
      .replaceAll('@DID@', fx.did)
      .replaceAll('@SID@', fx.sid)
      .replaceAll('@DEVID@', fx.devId)
      .replaceAll('@P8@', JSON.stringify(fx.p8).slice(1, -1))
      .replaceAll('@RSA@', JSON.stringify(fx.rsa).slice(1, -1));

  // Cases that fail authentication come from 127.0.0.11, .12, … eight to an address, so the
  // failed-auth limit (20 a minute per address) never decides them; everything else is 127.0.0.1.
  const sourceOf = new Map<HostileCase, string>();
  cases.filter(failsAuth).forEach((c, i) => sourceOf.set(c, `127.0.0.${11 + Math.floor(i / 8)}`));

  const build = (c: HostileCase): RawRequest => {
    const headers: Record<string, string> = {};
    const auth = authHeader(c);
    if (auth) headers.authorization = auth;
    let body: string | Buffer | undefined;
    if (c.body !== undefined) {
      if (Buffer.isBuffer(c.body)) body = c.body;
      else if (typeof c.body === 'string') body = fill(c.body);
      else body = fill(JSON.stringify(c.body));
      headers['content-type'] = 'application/json';
    }
    for (const [k, v] of Object.entries(c.headers ?? {})) {
      if (v === '') delete headers[k];
      else headers[k] = v;
    }
    return { method: c.method, path: fill(c.path), headers, body, from: sourceOf.get(c) ?? '127.0.0.1', timeoutMs: 8_000 };
  };

  /** The request, with /healthz probed every 250 ms while it is pending; two missed probes abort it. */
  async function requestWithProbes(req: RawRequest): Promise<{ res?: RawResponse; error?: string; probes: { ok: boolean; ms: number }[]; stalled: boolean }> {
    const ac = new AbortController();
    let done = false;
    const pending = http(server.url, { ...req, signal: ac.signal })
      .then((res) => ({ res }), (err: Error) => ({ error: err.message }))
      .finally(() => (done = true));
    const probes: { ok: boolean; ms: number }[] = [];
    let stalled = false;
    await Promise.race([sleep(150), pending]);
    let misses = 0;
    while (!done) {
      const p = await probe(server.url, 1000);
      if (done && !p.ok) break;
      probes.push(p);
      misses = p.ok ? 0 : misses + 1;
      if (misses >= 2) {
        stalled = true;
        ac.abort(new Error('aborted: /healthz went unanswered twice while this request was pending'));
        break;
      }
      await Promise.race([sleep(250), pending]);
    }
    return { ...(await pending), probes, stalled };
  }

  /** Waits until background work set off by an accepted request has settled (its rows stop changing). */
  async function quiesce(): Promise<void> {
    let prev = JSON.stringify(await fp.snapshot());
    for (let i = 0; i < 25; i++) {
      await sleep(200);
      const now = JSON.stringify(await fp.snapshot());
      if (now === prev) return;
      prev = now;
    }
  }

  async function undo(c: HostileCase, req: RawRequest, res: RawResponse): Promise<void> {
    const auth = req.headers?.authorization;
    if (!auth || !auth.startsWith('Basic')) return;
    const del = (p: string) => http(server.url, { method: 'DELETE', path: p, headers: { authorization: auth } }).catch(() => undefined);
    if (c.method === 'POST' && req.path === '/v1/schedules' && res.json?.id) await del(`/v1/schedules/${res.json.id}`);
    if (c.method === 'PUT' && req.path.startsWith('/v1/webhooks/')) await del(req.path);
    if (c.method === 'POST' && req.path === '/v1/notifications' && res.json?.id) await del(`/v1/notifications/${res.json.id}`);
  }

  async function recover(problems: string[], why: string): Promise<void> {
    if (!server.alive) {
      const c = server.child!;
      problems.push(`${why}: the herald process died (${c.exitCode ?? c.signalCode}); last output: ${server.output().slice(-600).replace(/\s+/g, ' ')}`);
    } else {
      // Stuck: give it a moment, then kill it; either way the next case gets a working server.
      for (let i = 0; i < 6 && !(await probe(server.url, 1000)).ok; i++) await sleep(250);
      if ((await probe(server.url, 1000)).ok) return;
      problems.push(`${why}: the herald process stopped answering and was killed`);
    }
    await server.restart();
  }

  async function runCase(c: HostileCase): Promise<string[]> {
    const problems: string[] = [];
    if (!server.alive || !(await probe(server.url, 2000)).ok) await recover([], 'before the case');
    const req = build(c);
    const before = await fp.snapshot();
    const { res, error, probes, stalled } = await requestWithProbes(req);
    const slow = probes.filter((p) => !p.ok || p.ms > 1000);
    if (slow.length) problems.push(`/healthz did not answer within 1 s while the request was pending (${slow.length} of ${probes.length} probes)`);
    if (stalled) problems.push('the request stalled the event loop and was aborted');
    const after = await probe(server.url, 1000);
    if (!after.ok) {
      problems.push(`/healthz did not answer within 1 s after the case (${after.error})`);
      await recover(problems, 'after the case');
    }

    const statuses = ([] as number[]).concat(c.expect.status);
    const codes = c.expect.code === undefined ? undefined : ([] as string[]).concat(c.expect.code);
    const envelope = res?.json && typeof res.json === 'object' && res.json.error && typeof res.json.error === 'object' ? res.json.error : undefined;
    let actual = 'no answer';
    if (!res) problems.push(`no answer: ${error}`);
    else {
      actual = `${res.status}${envelope ? ` ${envelope.code}` : ''}`;
      const batchOk =
        c.batchItems &&
        res.status === 200 &&
        Array.isArray(res.json?.results) &&
        res.json.results.length > 0 &&
        res.json.results.every((r: any) => r?.error && (!codes || codes.includes(r.error.code)));
      if (batchOk) actual += ` (every item refused: ${res.json.results[0].error.code})`;
      else if (!statuses.includes(res.status)) problems.push(`status ${res.status}, expected ${statuses.join(' or ')} (body: ${res.text.slice(0, 300)})`);
      else if (res.status >= 400) {
        if (!envelope || typeof envelope.code !== 'string' || typeof envelope.message !== 'string') problems.push(`not the error envelope: ${res.text.slice(0, 300)}`);
        else if (codes && !codes.includes(envelope.code)) problems.push(`code ${envelope.code}, expected ${codes.join(' or ')} (${envelope.message})`);
      }
      if (res.status >= 500) problems.push('a 5xx');
      const leaks = [...server.secrets(), ...(c.excludes ?? []).filter((e) => e !== '@SECRETS@').map(fill)].filter((s) => s && res.text.includes(s));
      if (leaks.length) problems.push(`the response contains what it must not: ${leaks.map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}`);
    }

    const afterFp = await fp.snapshot();
    const changed = changedTables(before, afterFp);
    if (changed.length && !c.writes) problems.push(`written although refused: ${changed.join('; ')}`);
    // Something that should have been refused was accepted: undo what would keep acting in the
    // background (an every-second schedule, a webhook), so it cannot disturb the cases after this one.
    if (res && res.status >= 200 && res.status < 300 && !c.writes) await undo(c, req, res);
    if (changed.length || c.writes) await quiesce();

    outcomes.push({ cls: c.cls, name: c.name, expected: `${statuses.join('|')}${codes ? ` ${codes.join('|')}` : ''}`, actual, problems });
    return problems;
  }

  beforeAll(async () => {
    let databaseUrl: string | undefined;
    if (db === 'postgres') {
      const pgdb = await freshPostgres('herald_hostile');
      databaseUrl = pgdb.url;
      dropDb = pgdb.drop;
    }
    server = new HeraldProcess({ key: KEY, secret: SECRET, databaseUrl, logLevel: 'error' });
    fx.other = JSON.parse(await server.cli(['apps', 'create', 'other', '--json'])) as { key: string; secret: string };
    fx.p8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    fx.rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

    // 1. Fixtures, on a process that may reach loopback (only for the webhook and provider endpoint below).
    await server.start({ HERALD_ALLOW_PRIVATE_NETWORKS: '1', HERALD_WEBHOOK_ALLOW_PRIVATE: '1' });
    const u = server.url;
    await api(u, A(), 'PUT', '/v1/users/ada', { email: 'ada@example.com', phone: '+14155552671', name: 'Ada' });
    await api(u, A(), 'PUT', '/v1/users/ada/preferences', { categories: { 'ada-only-category': { email: false } } });
    fx.devId = (await api(u, A(), 'POST', '/v1/users/ada/devices', { platform: 'ios', token: 'ab'.repeat(32) })).json.id;
    await api(u, A(), 'PUT', '/v1/users/ada/topics/news');
    await api(u, A(), 'PUT', '/v1/users/tok-user', { email: 'tok@example.com' });
    await api(u, A(), 'PUT', '/v1/users/dev-target', {});
    for (const [key, body] of Object.entries(TEMPLATE_FIXTURES)) {
      const r = await api(u, A(), 'PUT', `/v1/templates/${key}`, body, { ok: false });
      if (r.status === 200 || r.status === 201) fx.templates.add(key);
      else fx.refused[key] = `${r.status} ${r.json?.error?.code ?? r.text.slice(0, 100)}`;
    }
    if (!fx.templates.has('ok_tpl')) throw new Error(`the control template was refused: ${fx.refused.ok_tpl}`);
    await api(u, A(), 'PUT', '/v1/settings', { client_templates: ['ok_tpl', 'bomb_nested'] });
    await api(u, A(), 'PUT', '/v1/providers/twilio', { account_sid: `AC${'1'.repeat(32)}`, auth_token: 'fixture-token', from: '+14155550000', endpoint: 'http://127.0.0.1:1' });
    await api(u, A(), 'PUT', '/v1/webhooks/wh1', { url: 'http://127.0.0.1:1/hook', events: ['delivered'], secret: 'fixture-secret-0123456789', enabled: false });
    fx.sid = (await api(u, A(), 'POST', '/v1/schedules', { cron: '0 0 29 2 *', notification: { user_id: 'ada', template: 'ok_tpl', params: { name: 'x' } } })).json.id;
    const sent = await api(u, A(), 'POST', '/v1/notifications', { user_id: 'ada', template: 'ok_tpl', params: { name: 'Ada' } });
    fx.nid = sent.json.id;
    fx.did = sent.json.deliveries.find((d: any) => d.channel === 'push')?.id ?? sent.json.deliveries[0].id;
    const terminal = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];
    for (let i = 0; ; i++) {
      const n = await api(u, A(), 'GET', `/v1/notifications/${fx.nid}`);
      if (n.json.deliveries.every((d: any) => terminal.includes(d.status))) break;
      if (i > 200) throw new Error(`the fixture notification did not settle: ${n.text}`);
      await sleep(50);
    }
    await server.stop();

    // 2. The process every case runs against: no private networks.
    await server.start();
    fx.token = (await api(server.url, A(), 'POST', '/v1/users/tok-user/tokens', { ttl: 3600 })).json.token;
    fp = db === 'postgres' ? await postgresFingerprinter(databaseUrl!) : sqliteFingerprinter(path.join(server.dataDir, 'herald.db'));
    await quiesce();
    if (Object.keys(fx.refused).length) console.log(`[hostile ${db}] template fixtures refused at save (their preview/send cases check that refusal): ${JSON.stringify(fx.refused)}`);
  }, 120_000);

  afterAll(async () => {
    const failed = outcomes.filter((o) => o.problems.length);
    const byClass = new Map<string, Outcome[]>();
    for (const o of failed) byClass.set(o.cls, [...(byClass.get(o.cls) ?? []), o]);
    const lines = [`hostile input on ${db}: ${outcomes.length} cases run, ${failed.length} failed, ${refusedAtSave.length} refused at save; server (re)starts: ${server?.starts ?? 0}`];
    for (const [cls, os] of byClass) {
      lines.push(`  [${cls}] ${os.length} failing`);
      for (const o of os) lines.push(`    - ${o.name}: got ${o.actual}, expected ${o.expected}${o.problems.length ? ` — ${o.problems.join(' | ').slice(0, 400)}` : ''}`);
    }
    if (refusedAtSave.length) lines.push(`  refused at save: ${refusedAtSave.join("; ")}`);
    console.log(lines.join('\n'));
    try {
      writeFileSync(path.join(tmpdir(), `herald-hostile-report-${db}.json`), JSON.stringify({ db, outcomes, refusedAtSave, refusedFixtures: fx.refused }, null, 1));
    } catch {
      /* the report is a convenience */
    }
    await fp?.close();
    await server?.stop();
    await dropDb?.();
    server?.cleanup();
  }, 60_000);

  it('has at least 150 cases, and one for every operation in /openapi.json', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    const doc = (await http(server.url, { method: 'GET', path: '/openapi.json' })).json as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      const re = new RegExp(`^${p.replace(/[.+*?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of Object.keys(ops).filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))) {
        if (!cases.some((c) => c.method.toLowerCase() === method && re.test(c.path.split('?')[0]))) missing.push(`${method.toUpperCase()} ${p}`);
      }
    }
    console.log(`[hostile ${db}] ${cases.length} cases over ${Object.keys(doc.paths).length} paths`);
    expect(missing, 'operations in /openapi.json with no hostile case').toEqual([]);
  });

  it('the fingerprint holds still while nothing is sent (calibration)', async () => {
    const a = await fp.snapshot();
    for (const p of ['/v1/users/ada', '/v1/settings', '/v1/templates/ok_tpl', `/v1/notifications/${fx.nid}`, '/v1/webhooks', '/v1/schedules']) await api(server.url, A(), 'GET', p);
    await sleep(1000);
    const b = await fp.snapshot();
    expect(changedTables(a, b)).toEqual([]);
    expect(Object.keys(a).length).toBeGreaterThan(5);
    expect((await http(server.url, { method: 'GET', path: '/v1/me/preferences', headers: { authorization: `Bearer ${fx.token}` } })).status).toBe(200);
  });

  describe('the table', () => {
    for (const c of cases) {
      it(`[${c.cls}] ${c.name}`, async () => {
        if (c.fixture && !fx.templates.has(c.fixture)) {
          // The hostile template never got in: its save was refused, which must be the refusal this case expects.
          const [status, code] = (fx.refused[c.fixture] ?? '').split(' ');
          const codes = ([] as (string | undefined)[]).concat(c.expect.code);
          expect(([] as number[]).concat(c.expect.status), `fixture ${c.fixture} refused at save with ${fx.refused[c.fixture]}`).toContain(Number(status));
          expect(codes, `fixture ${c.fixture} refused at save with ${fx.refused[c.fixture]}`).toContain(code);
          refusedAtSave.push(`${c.name} (fixture ${c.fixture} refused at save: ${fx.refused[c.fixture]})`);
          return;
        }
        const problems = await runCase(c);
        expect(problems, `${c.method} ${c.path.slice(0, 120)}`).toEqual([]);
      }, 45_000);
    }
  });

  describe('authentication failures', () => {
    it('20 failed authentications a minute from one address, then 429 with Retry-After; other addresses unaffected', async () => {
      const from = '127.0.0.250';
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const authorization = i % 2 ? basicAuth(KEY, `wrong-${i}`) : basicAuth(`no-such-key-${i}`, SECRET);
        statuses.push((await http(server.url, { method: 'GET', path: '/v1/settings', headers: { authorization }, from })).status);
      }
      expect(statuses).toEqual(Array(20).fill(401));
      const r = await http(server.url, { method: 'GET', path: '/v1/users/ada', headers: { authorization: basicAuth(KEY, 'wrong-again') }, from });
      expect(r.status).toBe(429);
      expect(String(r.headers['retry-after'] ?? '')).toMatch(/^[1-9][0-9]*$/);
      expect(typeof r.json?.error?.code).toBe('string');
      // The limit is the address's: the app itself, from elsewhere, still gets in.
      expect((await http(server.url, { method: 'GET', path: '/v1/settings', headers: { authorization: A() } })).status).toBe(200);
      expect((await probe(server.url, 1000)).ok).toBe(true);
    });

    it('the dashboard sign-in is limited the same way', async () => {
      const from = '127.0.0.251';
      const statuses: number[] = [];
      let cookie = '';
      let token = '';
      const refresh = (res: RawResponse) => {
        const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
        const c = set.map((s) => s.split(';')[0]).filter((s) => !s.endsWith('='));
        if (c.length) cookie = c.join('; ');
        token = /name="signin" value="([^"]+)"/.exec(res.text)?.[1] ?? token;
      };
      refresh(await http(server.url, { method: 'GET', path: '/', from }));
      let last: RawResponse | undefined;
      for (let i = 0; i < 21; i++) {
        last = await http(server.url, {
          method: 'POST',
          path: '/',
          from,
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body: new URLSearchParams({ signin: token, key: KEY, secret: `wrong-${i}` }).toString(),
        });
        statuses.push(last.status);
        refresh(last);
      }
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
      expect(statuses[20]).toBe(429);
      expect(String(last!.headers['retry-after'] ?? '')).toMatch(/^[1-9][0-9]*$/);
    });
  });

  describe('templates never reach the file system', () => {
    // A name that is a valid template key and also a file in the working directory (a canary): whether
    // the save is refused (no such template) or accepted (resolved at render time), no render may show
    // the file, and a render must fail rather than print nothing.
    for (const [tag, src] of [
      ['include', "{% include 'x' %}"],
      ['render', "{% render 'canary.txt' %}"],
      ['layout', "{% layout 'layout' %}body"],
      ['include with .liquid', "{% include 'secret.liquid' %}"],
    ]) {
      it(`{% ${tag} %} of a file name in the working directory never shows the file`, async () => {
        const key = `fs-${tag.replace(/\W+/g, '-')}`;
        const put = await api(server.url, A(), 'PUT', `/v1/templates/${key}`, { channels: { sms: { text: src } } }, { ok: false });
        expect(put.status, put.text).toBeLessThan(500);
        for (const s of server.secrets()) expect(put.text).not.toContain(s);
        if (put.status === 200 || put.status === 201) {
          const pre = await api(server.url, A(), 'POST', `/v1/templates/${key}/preview`, { params: {} }, { ok: false });
          for (const s of server.secrets()) expect(pre.text, 'a preview showed a file').not.toContain(s);
          expect(pre.status, `preview of ${src} should fail (no template of that name): ${pre.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
          expect(pre.status).toBeLessThan(500);
          const send = await api(server.url, A(), 'POST', '/v1/notifications', { to: { phone: '+14155552671' }, template: key }, { ok: false });
          for (const s of server.secrets()) expect(send.text).not.toContain(s);
          expect(send.status).toBeGreaterThanOrEqual(400);
          expect(send.status).toBeLessThan(500);
          await api(server.url, A(), 'DELETE', `/v1/templates/${key}`, undefined, { ok: false });
        } else {
          expect(put.json?.error?.code).toMatch(/^(invalid_template|unknown_template)$/);
        }
        expect((await probe(server.url, 1000)).ok).toBe(true);
      });
    }

    it('partials are the same app’s templates: another app’s template of that name is not reachable', async () => {
      // The other app has a template `ok_part` too; ours includes `ok_part` and must get ours (or fail), never theirs.
      await api(server.url, basicAuth(fx.other.key, fx.other.secret), 'PUT', '/v1/templates/ok_part', { channels: { sms: { text: 'THEIRS-ok_part' } } });
      const pre = await api(server.url, A(), 'POST', '/v1/templates/dyninc/preview', { params: {} }, { ok: false });
      expect(pre.text).not.toContain('THEIRS-ok_part');
      for (const s of server.secrets()) expect(pre.text).not.toContain(s);
      await api(server.url, basicAuth(fx.other.key, fx.other.secret), 'DELETE', '/v1/templates/ok_part');
    });

    it('a template at the size limit is answered (accepted or refused) while /healthz keeps answering', async () => {
      // ~990 KB of output tags in email html, just under the field's 1,000,000 characters.
      const html = '{{ params.a }}'.repeat(70_000);
      const { res, probes, stalled } = await requestWithProbes({
        method: 'PUT',
        path: '/v1/templates/at-parse-limit',
        headers: { authorization: A(), 'content-type': 'application/json' },
        body: JSON.stringify({ channels: { email: { subject: 's', html } } }),
        timeoutMs: 8000,
      });
      const problems: string[] = [];
      if (stalled) problems.push('the save stalled the event loop (/healthz unanswered twice) and was aborted');
      const slow = probes.filter((p) => !p.ok || p.ms > 1000);
      if (slow.length) problems.push(`/healthz missed 1 s in ${slow.length} of ${probes.length} probes while the template was saved`);
      if (res && ![200, 201, 400].includes(res.status)) problems.push(`status ${res.status}: ${res.text.slice(0, 200)}`);
      if (res && res.status === 400 && !/^(invalid_template|render_limit|content_too_large)$/.test(res.json?.error?.code ?? '')) problems.push(`code ${res.json?.error?.code}`);
      expect(problems, `a 990 KB template of 70,000 output tags (answered ${res ? `${res.status} after ${Math.round(res.ms)} ms` : 'never'})`).toEqual([]);
      expect((await probe(server.url, 1000)).ok).toBe(true);
    });
  });
}
