import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startHerald, type Herald } from '../src/main.js';
import { basic, eventually, request, type DbKind } from './helpers/herald.js';
import { freshPostgres } from './helpers/postgres.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { startTwilioEmulator, type TwilioEmulator } from '../src/emulators/twilio/emulator.js';

const KEY = 'tenancy-key';
const SECRET = 'tenancy-secret-one';

/**
 * SPEC §11 between apps and across restarts, on one database (run by tenancy.sqlite.test.ts and
 * tenancy.postgres.test.ts): user tokens die with their app's secret and their user row; the sandbox is
 * decided per app and channel, at once and after a restart; a new webhook shows no position in the
 * installation's event log; queue figures are the app's own.
 */
export function tenancySuite(db: DbKind): void {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-tenancy-'));
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  let herald: Herald;
  let url: string;
  /** App A's "real" SMS provider: a Twilio of its own that outlives Herald's restarts (unlike the sandbox's emulators). */
  let twilio: TwilioEmulator;

  /** A Herald on this suite's data dir and database, so a restart finds what the last one left. */
  async function boot(env: Record<string, string> = {}): Promise<void> {
    const config = loadConfig(
      {
        HERALD_DATA_DIR: dataDir,
        HERALD_PORT: '0',
        HERALD_BOOTSTRAP_KEY: KEY,
        HERALD_BOOTSTRAP_SECRET: SECRET,
        HERALD_RETRY_BASE_MS: '20',
        HERALD_LOG_LEVEL: 'silent',
        // Provider endpoints and webhooks on this machine (the emulators, the test receiver).
        HERALD_ALLOW_PRIVATE_NETWORKS: '1',
        ...(pg ? { HERALD_DATABASE_URL: pg.url } : {}),
        ...env,
      },
      { readDotEnv: false },
    );
    herald = await startHerald(config, createLogger('silent'), { api: true, worker: true });
    url = herald.url!;
  }
  const as = (key: string, secret: string) => (method: string, route: string, body?: unknown) => request(url, basic(key, secret), method, route, body);
  const me = (token: string, method: string, route: string, body?: unknown) => request(url, `Bearer ${token}`, method, route, body);

  beforeAll(async () => {
    if (db === 'postgres') pg = await freshPostgres();
    twilio = await startTwilioEmulator({ host: '127.0.0.1', tls: true });
    await boot();
  });
  afterAll(async () => {
    await herald?.stop();
    await twilio?.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('user tokens', () => {
    it('die when the user is erased, and a new user with the same id does not revive them', async () => {
      const api = as(KEY, SECRET);
      await api('PUT', '/v1/users/ana', { email: 'ana@example.com' });
      const first = (await api('POST', '/v1/users/ana/tokens', {})).body.token;
      const second = (await api('POST', '/v1/users/ana/tokens', {})).body.token;
      expect((await me(first, 'GET', '/v1/me/preferences')).status).toBe(200);
      expect((await me(second, 'GET', '/v1/me/preferences')).status).toBe(200);
      expect((await api('DELETE', '/v1/users/ana')).status).toBe(204);
      expect((await me(first, 'GET', '/v1/me/preferences')).status).toBe(401);
      // Created again under the same id: another user as far as its old tokens go.
      expect((await api('PUT', '/v1/users/ana', { email: 'ana@example.com' })).status).toBe(201);
      for (const t of [first, second]) {
        const r = await me(t, 'GET', '/v1/me/preferences');
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe('unauthorized');
        expect((await me(t, 'POST', '/v1/me/devices', { platform: 'ios', token: 'ab'.repeat(32) })).status).toBe(401);
      }
      const fresh = (await api('POST', '/v1/users/ana/tokens', {})).body.token;
      expect((await me(fresh, 'GET', '/v1/me/preferences')).status).toBe(200);
      // Updates of the user keep its tokens: it is the same user.
      expect((await api('PUT', '/v1/users/ana', { name: 'Ana' })).status).toBe(200);
      expect((await me(fresh, 'GET', '/v1/me/preferences')).status).toBe(200);
    });

    it("die when the app's secret changes at a restart, and stay dead when it changes back", async () => {
      const api = as(KEY, SECRET);
      await api('PUT', '/v1/users/ben', { email: 'ben@example.com' });
      const old = (await api('POST', '/v1/users/ben/tokens', {})).body.token;
      expect((await me(old, 'GET', '/v1/me/preferences')).status).toBe(200);

      await herald.stop();
      await boot({ HERALD_BOOTSTRAP_SECRET: 'tenancy-secret-two' });
      expect((await as(KEY, SECRET)('GET', '/v1/users/ben')).status).toBe(401);
      expect((await as(KEY, 'tenancy-secret-two')('GET', '/v1/users/ben')).status).toBe(200);
      expect((await me(old, 'GET', '/v1/me/preferences')).status).toBe(401);
      const between = (await as(KEY, 'tenancy-secret-two')('POST', '/v1/users/ben/tokens', {})).body.token;
      expect((await me(between, 'GET', '/v1/me/preferences')).status).toBe(200);

      // Back to the first secret: a third generation, so neither earlier token lives again.
      await herald.stop();
      await boot();
      expect((await me(old, 'GET', '/v1/me/preferences')).status).toBe(401);
      expect((await me(between, 'GET', '/v1/me/preferences')).status).toBe(401);
      // A restart with the same secret changes nothing.
      const now = (await api('POST', '/v1/users/ben/tokens', {})).body.token;
      await herald.stop();
      await boot();
      expect((await me(now, 'GET', '/v1/me/preferences')).status).toBe(200);
    });
  });

  describe('sandbox per app', () => {
    it("keeps the sandbox for another app's channels, and for this app's other channels, when one app saves a provider — also after a restart", async () => {
      const a = await herald.apps.create('saves-twilio');
      const b = await herald.apps.create('saves-nothing');
      const apiA = as(a.key, a.secret);
      const apiB = as(b.key, b.secret);
      // App A saves a Twilio of its own; its SMS can be told apart: they reach that Twilio, not the sandbox's inbox.
      const own = { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url };
      expect((await apiA('PUT', '/v1/providers/twilio', own)).status).toBe(200);

      const check = async (run: number) => {
        const phoneA = `+1415555${2000 + run}`;
        const phoneB = `+1415555${3000 + run}`;
        const mailA = `a${run}@example.com`;
        expect((await apiA('GET', '/v1/providers')).body).toMatchObject({ sandbox: true, sandbox_channels: expect.not.arrayContaining(['sms']) });
        expect((await apiA('GET', '/v1/providers')).body.sandbox_channels).toEqual(expect.arrayContaining(['push', 'email']));
        expect((await apiB('GET', '/v1/providers')).body.sandbox_channels.sort()).toEqual(['email', 'push', 'sms']);

        const sentA = await apiA('POST', '/v1/notifications', { to: { phone: phoneA, email: mailA }, content: { sms: { text: 'from A' }, email: { subject: 'A', text: 'from A' } } });
        const sentB = await apiB('POST', '/v1/notifications', { to: { phone: phoneB }, content: { sms: { text: 'from B' } } });
        expect(sentA.status).toBe(202);
        expect(sentB.status).toBe(202);
        const done = async (api: typeof apiA, id: string) =>
          eventually(async () => {
            const n = (await api('GET', `/v1/notifications/${id}`)).body;
            return n.deliveries.every((d: { status: string }) => d.status === 'sent' || d.status === 'delivered') ? n : undefined;
          });
        await done(apiA, sentA.body.id);
        await done(apiB, sentB.body.id);
        // B's SMS went through the sandbox (its inbox has it); A's SMS through A's own Twilio (not in the sandbox inbox),
        // A's email, which A configured nothing for, through the sandbox.
        const inboxA = (await apiA('GET', '/v1/sandbox/messages')).body.messages as { channel: string; to: string }[];
        const inboxB = (await apiB('GET', '/v1/sandbox/messages')).body.messages as { channel: string; to: string }[];
        expect(inboxB.some((m) => m.channel === 'sms' && m.to === phoneB)).toBe(true);
        expect(inboxA.some((m) => m.channel === 'email' && m.to === mailA)).toBe(true);
        expect(inboxA.filter((m) => m.channel === 'sms')).toEqual([]);
        expect(twilio.received.some((m) => m.to === phoneA)).toBe(true);
        expect(twilio.received.some((m) => m.to === phoneB)).toBe(false);
      };
      await check(1);
      // The bug was "at the next start": one app's saved provider turned the sandbox off for all.
      await herald.stop();
      await boot();
      await check(2);
      // Deleting A's provider gives A's SMS back to the sandbox at once.
      expect((await apiA('DELETE', '/v1/providers/twilio')).status).toBe(204);
      expect((await apiA('GET', '/v1/providers')).body.sandbox_channels.sort()).toEqual(['email', 'push', 'sms']);
    });

    it('HERALD_SANDBOX=1 keeps every channel of every app on the sandbox, saved providers or not; 0 never uses it', async () => {
      await herald.stop();
      await boot({ HERALD_SANDBOX: '1' });
      const c = await herald.apps.create('forced');
      const api = as(c.key, c.secret);
      expect((await api('PUT', '/v1/providers/twilio', herald.emulators!.configs.twilio)).body.note).toContain('HERALD_SANDBOX=1');
      expect((await api('GET', '/v1/providers')).body.sandbox_channels.sort()).toEqual(['email', 'push', 'sms']);
      await herald.stop();
      await boot({ HERALD_SANDBOX: '0' });
      expect(herald.emulators).toBeUndefined();
      expect((await api('GET', '/v1/providers')).body).toMatchObject({ sandbox: false, sandbox_channels: [] });
      await herald.stop();
      await boot();
    });
  });

  describe('no installation-wide figures', () => {
    it("shows a new webhook no position in the installation's event log, and its own events once it got them", async () => {
      const busy = await herald.apps.create('busy');
      const quiet = await herald.apps.create('quiet');
      const apiBusy = as(busy.key, busy.secret);
      const apiQuiet = as(quiet.key, quiet.secret);
      for (let i = 0; i < 5; i++) await apiBusy('POST', '/v1/notifications', { to: { email: `x${i}@example.com` }, content: { email: { subject: 's', text: 't' } } });
      const receiver = await startReceiver('a-webhook-secret-for-the-test');
      try {
        const made = await apiQuiet('PUT', '/v1/webhooks/hook', { url: receiver.url, events: ['*'], secret: 'a-webhook-secret-for-the-test' });
        expect(made.status).toBe(201);
        expect(made.body.last_event_id).toBeNull();
        // Where it starts is the quiet app's own end of the log, not the installation's.
        const appId = (await herald.store.apps.findByKey(quiet.key))!.id;
        expect((await herald.store.webhooks.get(appId, 'hook'))!.cursor_id).toBe(0);
        await apiBusy('POST', '/v1/notifications', { to: { email: 'more@example.com' }, content: { email: { subject: 's', text: 't' } } });
        expect((await apiQuiet('GET', '/v1/webhooks/hook')).body.last_event_id).toBeNull();

        const sent = await apiQuiet('POST', '/v1/notifications', { to: { email: 'q@example.com' }, content: { email: { subject: 's', text: 't' } } });
        await eventually(async () => receiver.accepted.some((e) => e.notification_id === sent.body.id && e.type === 'sent'));
        const state = await eventually(async () => {
          const w = (await apiQuiet('GET', '/v1/webhooks/hook')).body;
          return w.last_event_id !== null ? w : undefined;
        });
        // Only ever an id of an event of its own that it was sent.
        expect(receiver.accepted.map((e) => e.id)).toContain(state.last_event_id);
        expect(receiver.accepted.every((e) => e.notification_id === sent.body.id)).toBe(true);
      } finally {
        await receiver.close();
      }
    });

    it("answers GET /v1/queues with the app's own deliveries only", async () => {
      const loud = await herald.apps.create('loud');
      const calm = await herald.apps.create('calm');
      const later = new Date(Date.now() + 3_600_000).toISOString();
      for (let i = 0; i < 3; i++) {
        expect((await as(loud.key, loud.secret)('POST', '/v1/notifications', { to: { email: `l${i}@example.com` }, content: { email: { subject: 's', text: 't' } }, send_at: later })).status).toBe(202);
      }
      const email = async (key: string, secret: string) => ((await as(key, secret)('GET', '/v1/queues')).body.channels as { channel: string; scheduled: number }[]).find((c) => c.channel === 'email')!;
      expect((await email(loud.key, loud.secret)).scheduled).toBe(3);
      expect(await email(calm.key, calm.secret)).toMatchObject({ depth: 0, in_flight: 0, scheduled: 0, dead: 0 });
    });
  });
}
