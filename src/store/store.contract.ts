import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyRace, type DeliveriesRow, type NotificationBundle, type Store } from '../ports/store.js';
import { newId } from '../domain/ids.js';
import { PRIORITY_RANK, type Priority } from '../domain/delivery.js';

/** The suite every Store implementation passes (run by sqlite/store.test.ts and postgres/store.test.ts). */
export function storeContract(make: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  let store: Store;
  let cleanup: () => Promise<void>;
  const APP = 'app-1';
  const T0 = 1_800_000_000_000;

  beforeAll(async () => {
    ({ store, cleanup } = await make());
    await store.migrate();
    await store.migrate(); // idempotent
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  function bundle(opts: { key?: string; channel?: string; priority?: Priority; runAt?: number; n?: number; app?: string } = {}): NotificationBundle {
    const app = opts.app ?? APP;
    const id = newId();
    const deliveries: DeliveriesRow[] = Array.from({ length: opts.n ?? 1 }, () => ({
      id: newId(),
      app_id: app,
      notification_id: id,
      user_id: 'u1',
      device_id: null,
      channel: opts.channel ?? 'email',
      platform: null,
      provider: 'sendgrid',
      to_addr: 'u1@example.com',
      status: 'queued',
      reason: null,
      content: '{}',
      category: null,
      priority_rank: PRIORITY_RANK[opts.priority ?? 'normal'],
      run_at: opts.runAt ?? T0,
      lease_until: null,
      attempts: 0,
      provider_message_id: null,
      last_error: null,
      expires_at: null,
      created_at: T0,
      updated_at: T0,
    }));
    return {
      notification: {
        id,
        app_id: app,
        idempotency_key: opts.key ?? null,
        request_hash: opts.key ? 'h' : null,
        response: opts.key ? '{}' : null,
        user_id: 'u1',
        template: null,
        template_version: null,
        category: null,
        priority: opts.priority ?? 'normal',
        status: 'accepted',
        send_at: null,
        expires_at: null,
        created_at: T0,
      },
      deliveries,
      events: deliveries.map((d) => ({ app_id: app, notification_id: id, delivery_id: d.id, type: 'queued', at: T0, data: null })),
    };
  }

  describe('apps, users, devices, templates', () => {
    it('finds apps by key and ensures bootstrap credentials', async () => {
      await store.apps.insert({ id: 'a1', name: 'one', key: 'k1', secret_hash: 'h1', secret_generation: 1, settings: '{}', created_at: T0 });
      expect((await store.apps.findByKey('k1'))?.id).toBe('a1');
      await store.apps.ensure({ id: 'a2', name: 'boot', key: 'k1', secret_hash: 'h2', secret_generation: 1, settings: '{}', created_at: T0 });
      expect((await store.apps.findByKey('k1'))?.secret_hash).toBe('h2');
      expect(await store.apps.findByKey('nope')).toBeUndefined();
    });

    it('counts a new secret generation only when ensure changes the secret', async () => {
      await store.apps.insert({ id: 'g1', name: 'gen', key: 'kg', secret_hash: 'hg1', secret_generation: 1, settings: '{}', created_at: T0 });
      const gen = async () => (await store.apps.findById('g1'))?.secret_generation;
      expect(await gen()).toBe(1);
      await store.apps.ensure({ id: 'other', name: 'boot', key: 'kg', secret_hash: 'hg1', secret_generation: 1, settings: '{}', created_at: T0 });
      expect(await gen()).toBe(1);
      await store.apps.ensure({ id: 'other', name: 'boot', key: 'kg', secret_hash: 'hg2', secret_generation: 1, settings: '{}', created_at: T0 });
      expect(await gen()).toBe(2);
      // Back to the first secret: still a new generation, so tokens of generation 1 stay dead.
      await store.apps.ensure({ id: 'other', name: 'boot', key: 'kg', secret_hash: 'hg1', secret_generation: 1, settings: '{}', created_at: T0 });
      expect(await store.apps.findById('g1')).toMatchObject({ secret_hash: 'hg1', secret_generation: 3 });
      // A new app starts at the generation it is given.
      await store.apps.ensure({ id: 'g2', name: 'boot', key: 'kg2', secret_hash: 'h', secret_generation: 1, settings: '{}', created_at: T0 });
      expect((await store.apps.findById('g2'))?.secret_generation).toBe(1);
    });

    it("gives a user row one incarnation, kept by every write, and a new one to a user created again after erasure", async () => {
      const u = { app_id: APP, id: 'inc', email: null, phone: null, locale: null, timezone: null, name: 'I', data: null, preferences: null, created_at: T0, updated_at: T0 };
      expect(await store.users.incarnation(APP, 'inc', 'x1')).toBeUndefined();
      await store.users.upsert(u);
      expect((await store.users.get(APP, 'inc'))?.incarnation ?? null).toBeNull();
      expect(await store.users.incarnation(APP, 'inc', 'x1')).toBe('x1');
      // Whoever comes second reads the first one's value.
      expect(await store.users.incarnation(APP, 'inc', 'x2')).toBe('x1');
      expect(await store.users.incarnation('other-app', 'inc', 'x3')).toBeUndefined();
      // Writes of the user's fields, even ones carrying another value, never change it.
      await store.users.upsert({ ...u, name: 'I2', incarnation: 'forged' });
      await store.users.update({ ...u, name: 'I3', incarnation: null });
      await store.users.setPreferences(APP, 'inc', '{}', T0 + 1);
      expect(await store.users.get(APP, 'inc')).toMatchObject({ name: 'I3', incarnation: 'x1' });
      await store.users.erase(APP, 'inc');
      await store.users.upsert(u);
      await store.users.insertMany([{ ...u, id: 'inc-bulk', incarnation: 'forged' }]);
      expect((await store.users.get(APP, 'inc-bulk'))?.incarnation ?? null).toBeNull();
      expect(await store.users.incarnation(APP, 'inc', 'x4')).toBe('x4');
    });

    it('updates an existing user only, keeping created_at and preferences', async () => {
      const u = { app_id: APP, id: 'upd', email: 'a@example.com', phone: null, locale: null, timezone: null, name: 'A', data: null, preferences: '{"mute":true}', created_at: T0, updated_at: T0 };
      expect(await store.users.update(u)).toBeUndefined();
      expect(await store.users.get(APP, 'upd')).toBeUndefined();
      await store.users.upsert(u);
      const got = await store.users.update({ ...u, name: 'B', email: null, preferences: null, created_at: T0 + 5, updated_at: T0 + 9 });
      expect(got).toMatchObject({ name: 'B', email: null, preferences: '{"mute":true}', created_at: T0, updated_at: T0 + 9 });
      expect(await store.users.update({ ...u, app_id: 'other-app' })).toBeUndefined();
    });

    it('upserts users per app and erases them with their devices and log addresses', async () => {
      const u = { app_id: APP, id: 'u1', email: 'u1@example.com', phone: null, locale: null, timezone: null, name: 'U', data: null, preferences: null, created_at: T0, updated_at: T0 };
      await store.users.upsert(u);
      await store.users.upsert({ ...u, name: 'U2', updated_at: T0 + 1 });
      expect((await store.users.get(APP, 'u1'))?.name).toBe('U2');
      expect(await store.users.get('other-app', 'u1')).toBeUndefined();
      expect((await store.users.getMany(APP, ['u1', 'u1', 'zz'])).map((x) => x.id)).toEqual(['u1']);
      await store.users.upsert({ ...u, id: 'gone' });
      await store.devices.register({ id: newId(), app_id: APP, user_id: 'gone', platform: 'ios', token: 'aa', subscription: null, active: 1, deactivated_reason: null, created_at: T0, updated_at: T0 });
      const b = bundle();
      b.deliveries[0].user_id = 'gone';
      await store.notifications.insert([b]);
      expect(await store.users.erase(APP, 'gone')).toBe(true);
      expect(await store.devices.listForUser(APP, 'gone')).toEqual([]);
      const n = await store.notifications.get(APP, b.notification.id);
      expect(n?.deliveries[0]).toMatchObject({ to_addr: 'erased', content: null });
      expect(await store.users.erase(APP, 'gone')).toBe(false);
    });

    it('lists users by id prefix in id order, one page after another, per app', async () => {
      const u = { app_id: 'list-app', email: null, phone: null, locale: null, timezone: null, name: null, data: null, preferences: null, created_at: T0, updated_at: T0 };
      for (const id of ['ada', 'ada.2', 'ADA', 'adam', 'a_b', 'axb', 'bob']) await store.users.upsert({ ...u, id });
      await store.users.upsert({ ...u, app_id: 'list-other', id: 'ada-theirs' });
      const ids = async (q: { prefix?: string; after?: string; limit: number }) => (await store.users.list('list-app', q)).map((x) => x.id);
      expect(await ids({ prefix: 'ada', limit: 10 })).toEqual(['ada', 'ada.2', 'adam']);
      expect(await ids({ prefix: 'ada', limit: 2 })).toEqual(['ada', 'ada.2']);
      expect(await ids({ prefix: 'ada', after: 'ada.2', limit: 2 })).toEqual(['adam']);
      // `_` is a character here, not LIKE's wildcard.
      expect(await ids({ prefix: 'a_', limit: 10 })).toEqual(['a_b']);
      expect((await ids({ limit: 100 })).sort()).toEqual(['ADA', 'a_b', 'ada', 'ada.2', 'adam', 'axb', 'bob'].sort());
      expect(await ids({ prefix: 'zz', limit: 10 })).toEqual([]);
    });

    it('registers devices idempotently and deactivates them', async () => {
      const d = { id: newId(), app_id: APP, user_id: 'u1', platform: 'ios', token: 'bb', subscription: null, active: 1, deactivated_reason: null, created_at: T0, updated_at: T0 };
      const first = await store.devices.register(d);
      await store.devices.deactivate(first.id, 'Unregistered', T0 + 1);
      expect(await store.devices.activeForUsers(APP, ['u1'])).toEqual([]);
      const again = await store.devices.register({ ...d, id: newId(), updated_at: T0 + 2 });
      expect(again.id).toBe(first.id);
      expect(again.active).toBe(1);
      expect((await store.devices.activeForUsers(APP, ['u1'])).map((x) => x.id)).toEqual([first.id]);
    });

    it('versions templates', async () => {
      const t = { app_id: APP, key: 'welcome', category: null, channels: '{"sms":{"text":"v1"}}', locales: null, created_at: T0 };
      expect((await store.templates.put(t)).version).toBe(1);
      expect((await store.templates.put({ ...t, channels: '{"sms":{"text":"v2"}}' })).version).toBe(2);
      expect((await store.templates.latest(APP, 'welcome'))?.channels).toContain('v2');
      expect((await store.templates.latestMany(APP, ['welcome', 'x'])).map((x) => x.version)).toEqual([2]);
      expect(await store.templates.remove(APP, 'welcome')).toBe(true);
      expect(await store.templates.latest(APP, 'welcome')).toBeUndefined();
      expect((await store.templates.put(t)).version).toBe(3);
      expect((await store.templates.versions(APP, 'welcome')).map((x) => x.version)).toEqual([3, 2, 1]);
    });

    it('lists the latest version of each live template in key order, one page after another, per app', async () => {
      const t = { app_id: 'tpl-app', category: null, channels: '{"sms":{"text":"x"}}', locales: null, created_at: T0 };
      for (const key of ['b', 'a', 'c', 'gone']) await store.templates.put({ ...t, key });
      await store.templates.put({ ...t, key: 'a', channels: '{"sms":{"text":"a2"}}' });
      await store.templates.remove('tpl-app', 'gone');
      await store.templates.put({ ...t, app_id: 'tpl-other', key: 'theirs' });
      const list = async (q: { after?: string; limit: number }) => (await store.templates.list('tpl-app', q)).map((x) => `${x.key}@${x.version}`);
      expect(await list({ limit: 10 })).toEqual(['a@2', 'b@1', 'c@1']);
      expect(await list({ limit: 2 })).toEqual(['a@2', 'b@1']);
      expect(await list({ after: 'b', limit: 2 })).toEqual(['c@1']);
    });
  });

  describe('notifications and deliveries', () => {
    it('writes bundles atomically: a taken idempotency key writes nothing of the batch', async () => {
      await store.notifications.insert([bundle({ key: 'k-1' })]);
      const ok = bundle();
      await expect(store.notifications.insert([ok, bundle({ key: 'k-1' })])).rejects.toBeInstanceOf(IdempotencyRace);
      expect(await store.notifications.get(APP, ok.notification.id)).toBeUndefined();
      expect((await store.notifications.findByIdempotencyKeys(APP, ['k-1'])).length).toBe(1);
      expect(await store.notifications.findByIdempotencyKeys('other', ['k-1'])).toEqual([]);
    });

    it('records outcomes only on open deliveries, and requeues dead letters', async () => {
      const b = bundle({ n: 2 });
      await store.notifications.insert([b]);
      const [d1, d2] = b.deliveries;
      expect(await store.notifications.cancel(APP, b.notification.id, T0 + 1)).toBe(2);
      await store.deliveries.recordOutcomes([{ id: d1.id, status: 'sent', provider: 'sendgrid', attempts: 1, events: [] }], T0 + 2);
      const got = await store.notifications.get(APP, b.notification.id);
      expect(got?.deliveries.map((d) => d.status)).toEqual(['cancelled', 'cancelled']);
      expect(await store.notifications.cancel('other', b.notification.id, T0)).toBeUndefined();

      const f = bundle();
      await store.notifications.insert([f]);
      await store.deliveries.recordOutcomes(
        [{ id: f.deliveries[0].id, status: 'failed', provider: 'sendgrid', attempts: 3, reason: 'max_attempts', events: [{ app_id: APP, notification_id: f.notification.id, delivery_id: f.deliveries[0].id, type: 'failed', at: T0, data: null }] }],
        T0 + 3,
      );
      expect((await store.deliveries.listDead(APP, 10)).map((d) => d.id)).toContain(f.deliveries[0].id);
      expect(await store.deliveries.requeue('other', f.deliveries[0].id, T0)).toBeUndefined();
      const rq = await store.deliveries.requeue(APP, f.deliveries[0].id, T0 + 4);
      expect(rq).toMatchObject({ status: 'queued', attempts: 0, run_at: T0 + 4 });
      expect(await store.deliveries.requeue(APP, f.deliveries[0].id, T0 + 5)).toBeUndefined();
      expect(d2.status).toBe('queued');
    });

    it('records a batch of mixed outcomes, each with its own fields, and leaves closed deliveries alone', async () => {
      const b = bundle({ n: 5 });
      await store.notifications.insert([b]);
      const [sent, retry, dead, expired, closed] = b.deliveries.map((d) => d.id);
      await store.notifications.cancel(APP, b.notification.id, T0); // cancels all five…
      const reopened = bundle({ n: 4 });
      await store.notifications.insert([reopened]);
      const ids = reopened.deliveries.map((d) => d.id);
      const ev = (id: string, type: string) => ({ app_id: APP, notification_id: reopened.notification.id, delivery_id: id, type, at: T0 + 9, data: null });
      await store.deliveries.recordOutcomes(
        [
          { id: ids[0], status: 'sent', provider: 'sendgrid', attempts: 1, providerMessageId: 'msg-1', events: [ev(ids[0], 'sent')] },
          { id: ids[1], status: 'queued', provider: 'smtp', attempts: 2, lastError: '503: busy', runAt: T0 + 60_000, events: [ev(ids[1], 'retrying')] },
          { id: ids[2], status: 'failed', provider: 'sendgrid', attempts: 3, reason: 'max_attempts', lastError: "it's 'quoted'", events: [] },
          { id: ids[3], status: 'expired', provider: 'sendgrid', attempts: 0, events: [] },
          { id: closed, status: 'sent', provider: 'sendgrid', attempts: 1, events: [] },
        ],
        T0 + 10,
      );
      const got = new Map((await store.notifications.get(APP, reopened.notification.id))!.deliveries.map((d) => [d.id, d]));
      expect(got.get(ids[0])).toMatchObject({ status: 'sent', provider: 'sendgrid', attempts: 1, provider_message_id: 'msg-1', reason: null, last_error: null, run_at: T0, updated_at: T0 + 10, lease_until: null });
      expect(got.get(ids[0])!.events.map((e) => e.type)).toContain('sent');
      expect(got.get(ids[1])).toMatchObject({ status: 'queued', provider: 'smtp', attempts: 2, provider_message_id: null, last_error: '503: busy', run_at: T0 + 60_000 });
      expect(got.get(ids[2])).toMatchObject({ status: 'failed', attempts: 3, reason: 'max_attempts', last_error: "it's 'quoted'", run_at: T0 });
      expect(got.get(ids[3])).toMatchObject({ status: 'expired', attempts: 0 });
      // The cancelled delivery of the other notification keeps its status.
      const first = new Map((await store.notifications.get(APP, b.notification.id))!.deliveries.map((d) => [d.id, d.status]));
      expect([first.get(sent), first.get(retry), first.get(dead), first.get(expired), first.get(closed)]).toEqual(Array(5).fill('cancelled'));
    });

    it('lists newest first with a cursor', async () => {
      const app = 'list-app';
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const b = bundle({ app });
        ids.push(b.notification.id);
        await store.notifications.insert([b]);
      }
      const p1 = await store.notifications.list(app, { limit: 3 });
      const p2 = await store.notifications.list(app, { limit: 3, before: p1[2].id });
      expect([...p1, ...p2].map((n) => n.id)).toEqual(ids.reverse());
      expect((await store.notifications.list(app, { limit: 10, userId: 'u1', status: 'queued' })).length).toBe(5);
      expect((await store.notifications.list(app, { limit: 10, status: 'sent' })).length).toBe(0);
    });
  });

  describe('the embedded queue table', () => {
    it('claims high priority first, then by run_at, and not what is due later', async () => {
      const low = bundle({ channel: 'sms', priority: 'low', runAt: T0 - 3, n: 2 });
      const normal = bundle({ channel: 'sms', priority: 'normal', runAt: T0 - 2, n: 50 });
      const high = bundle({ channel: 'sms', priority: 'high', runAt: T0, n: 1 });
      const later = bundle({ channel: 'sms', priority: 'high', runAt: T0 + 60_000 });
      await store.notifications.insert([low, normal, later]);
      await store.notifications.insert([high]);
      const first = await store.queueTable.claim('sms', 1, T0, 1000);
      expect(first).toEqual([high.deliveries[0].id]);
      const next = await store.queueTable.claim('sms', 100, T0, 1000);
      expect(next.slice(0, 50).sort()).toEqual(normal.deliveries.map((d) => d.id).sort());
      expect(next.slice(50).sort()).toEqual(low.deliveries.map((d) => d.id).sort());
      expect(await store.queueTable.claim('sms', 100, T0, 1000)).toEqual([]);
      const stats = (await store.queueTable.stats(T0)).find((s) => s.channel === 'sms')!;
      expect(stats).toMatchObject({ depth: 0, in_flight: 53, scheduled: 1 });
    });

    it('takes up a delivery again once its lease has run out, and never while it holds', async () => {
      const b = bundle({ channel: 'push' });
      await store.notifications.insert([b]);
      const id = b.deliveries[0].id;
      expect(await store.queueTable.claim('push', 10, T0, 5000)).toEqual([id]);
      expect(await store.queueTable.claim('push', 10, T0 + 4999, 5000)).toEqual([]);
      expect(await store.queueTable.claim('push', 10, T0 + 5000, 5000)).toEqual([id]);
      const stats = (await store.queueTable.stats(T0 + 20_000)).find((s) => s.channel === 'push')!;
      expect(stats).toMatchObject({ depth: 1, oldest_age_ms: 20_000, in_flight: 0 });
      await store.deliveries.recordOutcomes([{ id, status: 'queued', provider: 'apns', attempts: 1, runAt: T0 + 30_000, events: [] }], T0 + 20_000);
      expect(await store.queueTable.claim('push', 10, T0 + 29_999, 5000)).toEqual([]);
      expect(await store.queueTable.nextRunAt('push', T0 + 20_000)).toBe(T0 + 30_000);
      expect(await store.queueTable.claim('push', 10, T0 + 30_000, 5000)).toEqual([id]);
      // Held by a live lease: not due for an idle worker until the lease runs out.
      expect(await store.queueTable.nextRunAt('push', T0 + 30_001)).toBeUndefined();
      expect(await store.queueTable.nextRunAt('push', T0 + 35_000)).toBe(T0 + 30_000);
      expect(await store.queueTable.claim('push', 10, T0 + 35_000, 5000)).toEqual([id]);
    });

    it('never hands one delivery to two concurrent claimers', async () => {
      const bs = Array.from({ length: 20 }, () => bundle({ channel: 'email', n: 10, app: 'claim-app' }));
      await store.notifications.insert(bs);
      const all = bs.flatMap((b) => b.deliveries.map((d) => d.id));
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.queueTable.claim('email', 40, T0 + 1, 60_000)));
      const flat = claims.flat();
      expect(new Set(flat).size).toBe(flat.length);
      // 8 × 40 exceeds what is due, so every delivery was claimed, each exactly once.
      for (const id of all) expect(flat).toContain(id);
    });
  });
}
