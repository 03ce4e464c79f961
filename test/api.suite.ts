import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, eventually, request, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';

const IOS = 'ab'.repeat(32);
const ANDROID = 'fcm-token_' + 'x'.repeat(140);
const TERMINAL = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];

/** The HTTP API against one database; run by api.sqlite.test.ts and api.postgres.test.ts. */
export function apiSuite(db: DbKind): void {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald(db);
    await h.api('PUT', '/v1/templates/order_shipped', {
      category: 'orders',
      channels: {
        push: { title: 'Order {{ params.order }} shipped', body: 'Arrives {{ params.eta }}', data: { order: '{{ params.order }}', n: 3 } },
        sms: { text: 'Hi {{ user.name }}, order {{ params.order }} arrives {{ params.eta }}' },
        email: { subject: 'Your order {{ params.order }}', html: '<p>Hello {{ user.name }}, it arrives <b>{{ params.eta }}</b>.</p>' },
      },
      locales: { ko: { push: { title: '주문 {{ params.order }} 발송' } } },
    });
    await h.api('PUT', '/v1/users/ada', { email: 'ada@example.com', phone: '+14155552671', name: 'Ada', locale: 'ko-KR' });
    await h.api('POST', '/v1/users/ada/devices', { platform: 'ios', token: IOS });
    await h.api('POST', '/v1/users/ada/devices', { platform: 'android', token: ANDROID });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const settle = (id: string) =>
    eventually(async () => {
      const r = await h.api('GET', `/v1/notifications/${id}`);
      return r.body.deliveries.every((d: any) => TERMINAL.includes(d.status)) ? r.body : undefined;
    });

  describe('public routes and auth', () => {
    it('serves health, readiness and the OpenAPI document without credentials', async () => {
      expect((await request(h.url, undefined, 'GET', '/healthz')).status).toBe(200);
      const ready = await request(h.url, undefined, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ database: 'ok', queue: 'ok' });
      const doc = await request(h.url, undefined, 'GET', '/openapi.json');
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/notifications', '/v1/users/{id}', '/v1/queues']));
      expect((await request(h.url, undefined, 'GET', '/docs/')).status).toBe(200);
    });

    it('refuses missing or wrong credentials with the error envelope', async () => {
      const none = await request(h.url, undefined, 'GET', '/v1/users/ada');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthorized');
      const wrong = await request(h.url, basic('test-key', 'nope'), 'GET', '/v1/users/ada');
      expect(wrong.status).toBe(401);
      const unknownRoute = await h.api('GET', '/v1/nothing-here');
      expect(unknownRoute.status).toBe(404);
      expect(unknownRoute.body.error.code).toBe('not_found');
    });
  });

  describe('users, devices and preferences', () => {
    it('creates, updates and validates users', async () => {
      expect((await h.api('PUT', '/v1/users/bob', { email: 'bob@example.com' })).status).toBe(201);
      const upd = await h.api('PUT', '/v1/users/bob', { name: 'Bob', timezone: 'Europe/Berlin' });
      expect(upd.status).toBe(200);
      expect(upd.body).toMatchObject({ id: 'bob', email: 'bob@example.com', name: 'Bob', timezone: 'Europe/Berlin' });
      expect((await h.api('PUT', '/v1/users/bob', { email: 'not-an-email' })).body.error).toMatchObject({ code: 'invalid_email', field: 'email' });
      expect((await h.api('PUT', '/v1/users/bob', { phone: '0155 1234' })).body.error.code).toBe('invalid_phone');
      expect((await h.api('PUT', '/v1/users/bob', { phone: '+999123' })).body.error.code).toBe('invalid_phone');
      expect((await h.api('PUT', '/v1/users/bob', { timezone: 'Mars/Olympus' })).body.error.code).toBe('invalid_timezone');
      expect((await h.api('GET', '/v1/users/bob')).body.timezone).toBe('Europe/Berlin');
    });

    it('registers devices idempotently and validates token shapes', async () => {
      await h.api('PUT', '/v1/users/dev', {});
      const first = await h.api('POST', '/v1/users/dev/devices', { platform: 'ios', token: 'cd'.repeat(32) });
      expect(first.status).toBe(201);
      const again = await h.api('POST', '/v1/users/dev/devices', { platform: 'ios', token: 'cd'.repeat(32) });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect((await h.api('POST', '/v1/users/dev/devices', { platform: 'ios', token: 'not-hex' })).body.error.code).toBe('invalid_token');
      expect((await h.api('POST', '/v1/users/dev/devices', { platform: 'web', subscription: { endpoint: 'http://x', keys: { p256dh: 'a', auth: 'b' } } })).body.error.code).toBe(
        'invalid_subscription',
      );
      const p256dh = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url');
      const web = await h.api('POST', '/v1/users/dev/devices', {
        platform: 'web',
        subscription: { endpoint: 'https://push.example.com/sub/1', keys: { p256dh, auth: Buffer.alloc(16, 1).toString('base64url') } },
      });
      expect(web.status).toBe(201);
      expect((await h.api('GET', '/v1/users/dev/devices')).body.devices).toHaveLength(2);
      expect((await h.api('POST', '/v1/users/ghost/devices', { platform: 'ios', token: 'cd'.repeat(32) })).status).toBe(404);
      expect((await h.api('DELETE', `/v1/users/dev/devices/${first.body.id}`)).status).toBe(204);
      expect((await h.api('GET', '/v1/users/dev/devices')).body.devices).toHaveLength(1);
    });

    it('keeps preferences', async () => {
      await h.api('PUT', '/v1/users/pref', { email: 'p@example.com' });
      const put = await h.api('PUT', '/v1/users/pref/preferences', { channels: { sms: false }, categories: { marketing: { email: false } } });
      expect(put.status).toBe(200);
      expect((await h.api('GET', '/v1/users/pref/preferences')).body).toMatchObject({ channels: { sms: false }, categories: { marketing: { email: false } } });
      expect((await h.api('PUT', '/v1/users/pref/preferences', { channels: { fax: true } })).status).toBe(400);
    });
  });

  describe('sending', () => {
    it('renders the template per channel and device, records the version and a timeline, and sends', async () => {
      const r = await h.api('POST', '/v1/notifications', { user_id: 'ada', template: 'order_shipped', params: { order: '8812', eta: 'Friday' } });
      expect(r.status).toBe(202);
      expect(r.body.status).toBe('accepted');
      const kinds = r.body.deliveries.map((d: any) => `${d.channel}/${d.platform ?? '-'}/${d.provider}`).sort();
      expect(kinds).toEqual(['email/-/sendgrid', 'push/android/fcm', 'push/ios/apns', 'sms/-/twilio']);
      const n = await settle(r.body.id);
      expect(n.template_version).toBe(1);
      expect(n.status).toBe('completed');
      for (const d of n.deliveries) {
        expect(d.status).toBe('sent');
        expect(d.provider_message_id).toBeTruthy();
        expect(d.events.map((e: any) => e.type)).toEqual(['created', 'queued', 'sent']);
      }
      const id = (pred: (d: any) => boolean) => n.deliveries.find(pred).id;
      // What each provider's emulator received over its real protocol.
      const em = h.herald.emulators!;
      const apns = em.apns.received.find((m) => m.apnsId === id((d) => d.platform === 'ios'))!;
      // Ada's locale is ko-KR: the language override wins for the title, the default for the body.
      expect(apns.payload).toMatchObject({ aps: { alert: { title: '주문 8812 발송', body: 'Arrives Friday' } }, order: '8812', n: '3' });
      expect(apns.token).toBe(IOS);
      const fcm = em.fcm.received.find((m) => m.name === n.deliveries.find((d: any) => d.platform === 'android').provider_message_id)!;
      expect(fcm.message).toMatchObject({ token: ANDROID, data: { order: '8812', n: '3' } });
      const sms = em.twilio.received.find((m) => m.sid === n.deliveries.find((d: any) => d.channel === 'sms').provider_message_id)!;
      expect(sms).toMatchObject({ to: '+14155552671', body: 'Hi Ada, order 8812 arrives Friday' });
      expect(sms.statusCallback).toBe(`${h.herald.config.publicUrl}/hooks/twilio`);
      const mail = em.sendgrid.received.find((m) => m.customArgs.herald_delivery_id === id((d) => d.channel === 'email'))!;
      expect(mail.subject).toBe('Your order 8812');
      expect(mail.text).toContain('Hello Ada, it arrives Friday.');
      expect(mail.html).toContain('<b>Friday</b>');
      // and the sandbox inbox shows the same
      const inbox = await h.api('GET', '/v1/sandbox/messages?limit=20');
      expect(inbox.body.messages.map((m: any) => m.deliveryId)).toEqual(expect.arrayContaining(n.deliveries.map((d: any) => d.id)));
    });

    it('answers a missing template variable with a 400 naming it, and writes nothing', async () => {
      const before = (await h.api('GET', '/v1/notifications?limit=200')).body.notifications.length;
      const r = await h.api('POST', '/v1/notifications', { user_id: 'ada', template: 'order_shipped', params: { order: '1' } });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'missing_variable', field: 'params.eta' });
      expect((await h.api('GET', '/v1/notifications?limit=200')).body.notifications.length).toBe(before);
    });

    it('suppresses opted-out channels and categories, and missing contacts, with a reason', async () => {
      await h.api('PUT', '/v1/users/carol', { email: 'carol@example.com', name: 'Carol' });
      await h.api('PUT', '/v1/users/carol/preferences', { categories: { orders: { email: false } } });
      const r = await h.api('POST', '/v1/notifications', { user_id: 'carol', template: 'order_shipped', params: { order: '1', eta: 'soon' } });
      const byChannel = Object.fromEntries(r.body.deliveries.map((d: any) => [d.channel, d]));
      expect(byChannel.email).toMatchObject({ status: 'suppressed', reason: 'opted_out' });
      expect(byChannel.sms).toMatchObject({ status: 'suppressed', reason: 'no_contact' });
      expect(byChannel.push).toMatchObject({ status: 'suppressed', reason: 'no_contact' });
      // transactional ignores a category opt-out but not a channel opt-out
      await h.api('PUT', '/v1/users/carol/preferences', { mute: true, channels: { sms: false }, categories: { transactional: { email: false } } });
      await h.api('PUT', '/v1/users/carol', { phone: '+14155552672' });
      const otp = await h.api('POST', '/v1/notifications', {
        user_id: 'carol',
        category: 'transactional',
        content: { email: { subject: 'Code', text: '123456' }, sms: { text: '123456' } },
      });
      const o = Object.fromEntries(otp.body.deliveries.map((d: any) => [d.channel, d]));
      expect(o.email.status).toBe('queued');
      expect(o.sms).toMatchObject({ status: 'suppressed', reason: 'opted_out' });
    });

    it('is idempotent by event_id and by Idempotency-Key', async () => {
      const body = { event_id: 'order-1-shipped', to: { email: 'x@example.com' }, content: { email: { subject: 'S', text: 'T' } } };
      const a = await h.api('POST', '/v1/notifications', body);
      expect(a.status).toBe(202);
      const b = await h.api('POST', '/v1/notifications', body);
      expect(b.status).toBe(200);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      expect(b.body).toEqual(a.body);
      const c = await h.api('POST', '/v1/notifications', { ...body, content: { email: { subject: 'other', text: 'T' } } });
      expect(c.status).toBe(409);
      expect(c.body.error.code).toBe('idempotency_conflict');
      const k1 = await h.api('POST', '/v1/notifications', { to: { phone: '+14155552671' }, content: { sms: { text: 'hi' } } }, { 'idempotency-key': 'key-42' });
      const k2 = await h.api('POST', '/v1/notifications', { to: { phone: '+14155552671' }, content: { sms: { text: 'hi' } } }, { 'idempotency-key': 'key-42' });
      expect(k1.status).toBe(202);
      expect(k2.status).toBe(200);
      expect(k2.body.id).toBe(k1.body.id);
      // concurrent first uses of one key still make one notification
      const same = { event_id: 'race-1', to: { email: 'r@example.com' }, content: { email: { subject: 'S', text: 'T' } } };
      const rs = await Promise.all(Array.from({ length: 8 }, () => h.api('POST', '/v1/notifications', same)));
      expect(new Set(rs.map((r) => r.body.id)).size).toBe(1);
      expect(rs.filter((r) => r.status === 202)).toHaveLength(1);
    });

    it('404s an unknown user_id and lists unknown ids inside user_ids', async () => {
      const r = await h.api('POST', '/v1/notifications', { user_id: 'nobody', content: { sms: { text: 'x' } } });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('unknown_user');
      const m = await h.api('POST', '/v1/notifications', { user_ids: ['ada', 'nobody', 'ghost'], content: { sms: { text: 'x' } } });
      expect(m.status).toBe(202);
      expect(m.body.unknown_user_ids).toEqual(['nobody', 'ghost']);
      expect(m.body.deliveries).toHaveLength(1);
      expect((await h.api('POST', '/v1/notifications', { user_id: 'ada', template: 'nope' })).body.error.code).toBe('unknown_template');
    });

    it('answers a batch with one result per item, in order', async () => {
      const r = await h.api('POST', '/v1/notifications/batch', {
        notifications: [
          { to: { email: 'b1@example.com' }, content: { email: { subject: 'a', text: 'b' } } },
          { user_id: 'nobody', content: { sms: { text: 'x' } } },
          { to: { email: 'b2@example.com' }, content: { email: { subject: 'a', text: 'b' } }, priority: 'urgent' },
          { event_id: 'batch-dup', to: { email: 'b3@example.com' }, content: { email: { subject: 'a', text: 'b' } } },
          { event_id: 'batch-dup', to: { email: 'b3@example.com' }, content: { email: { subject: 'a', text: 'b' } } },
        ],
      });
      expect(r.status).toBe(200);
      const res = r.body.results;
      expect(res).toHaveLength(5);
      expect(res[0].status).toBe('accepted');
      expect(res[1].error.code).toBe('unknown_user');
      expect(res[2].error.code).toBe('invalid_request');
      expect(res[3].status).toBe('accepted');
      expect(res[4].id).toBe(res[3].id);
    });

    it('retries transient failures with backoff and fails over to the next provider', async () => {
      const r = await h.api('POST', '/v1/notifications', { to: { phone: '+14155550100', email: 'flaky@example.com' }, content: { email: { subject: 'a', text: 'b' } } });
      const n = await settle(r.body.id);
      const d = n.deliveries[0];
      expect(d).toMatchObject({ status: 'sent', attempts: 3, provider: 'sendgrid' });
      const types = d.events.map((e: any) => e.type);
      expect(types).toEqual(['created', 'queued', 'retrying', 'retrying', 'sent']);
      expect(d.events[2].data).toMatchObject({ provider: 'sendgrid', next_provider: 'smtp' });
      expect(d.events[3].data.provider).toBe('smtp');
      expect(d.events[3].data.delay_ms).toBeGreaterThan(0);
    });

    it('fails permanent errors at once, deactivates dead devices, and keeps dead letters that can be retried', async () => {
      const bounce = await h.api('POST', '/v1/notifications', { to: { email: 'bounce@example.com' }, content: { email: { subject: 'a', text: 'b' } } });
      const b = (await settle(bounce.body.id)).deliveries[0];
      expect(b).toMatchObject({ status: 'failed', attempts: 1, reason: 'invalid_recipient' });

      await h.api('PUT', '/v1/users/dead', {});
      await h.api('POST', '/v1/users/dead/devices', { platform: 'ios', token: 'ef'.repeat(28) + 'deaddead' });
      const push = await h.api('POST', '/v1/notifications', { user_id: 'dead', content: { push: { title: 't', body: 'b' } } });
      await settle(push.body.id);
      const devs = (await h.api('GET', '/v1/users/dead/devices')).body.devices;
      expect(devs[0]).toMatchObject({ active: false, deactivated_reason: 'sandbox_invalid_recipient' });

      const down = await h.api('POST', '/v1/notifications', { to: { email: 'down@example.com' }, content: { email: { subject: 'a', text: 'b' } } });
      const d = (await settle(down.body.id)).deliveries[0];
      expect(d).toMatchObject({ status: 'failed', attempts: 3, reason: 'max_attempts' });
      const dead = await h.api('GET', '/v1/dead-letters');
      expect(dead.body.deliveries.map((x: any) => x.id)).toContain(d.id);
      const retry = await h.api('POST', `/v1/deliveries/${d.id}/retry`);
      expect(retry.status).toBe(202);
      expect(retry.body).toMatchObject({ status: 'queued', attempts: 0 });
      const again = await eventually(async () => {
        const x = (await h.api('GET', `/v1/notifications/${down.body.id}`)).body.deliveries[0];
        return x.status === 'failed' ? x : undefined;
      });
      expect(again.events.filter((e: any) => e.type === 'queued')).toHaveLength(2);
      expect((await h.api('POST', `/v1/deliveries/${d.id}/retry`)).status).toBe(202);
      const queues = await h.api('GET', '/v1/queues');
      expect(queues.body.channels.map((c: any) => c.channel)).toEqual(['push', 'sms', 'email']);
      expect(Object.keys(queues.body.channels[0]).sort()).toEqual(['channel', 'dead', 'depth', 'in_flight', 'oldest_age_ms', 'scheduled']);
    });

    it('schedules with send_at and cancels what is not yet sent', async () => {
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const r = await h.api('POST', '/v1/notifications', { user_id: 'ada', content: { sms: { text: 'later' } }, send_at: at });
      expect(r.status).toBe(202);
      expect(r.body.status).toBe('scheduled');
      expect(r.body.deliveries[0].status).toBe('scheduled');
      expect((await h.api('GET', '/v1/queues')).body.channels.find((c: any) => c.channel === 'sms').scheduled).toBeGreaterThanOrEqual(1);
      const del = await h.api('DELETE', `/v1/notifications/${r.body.id}`);
      expect(del.body.cancelled).toBe(1);
      const n = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body;
      expect(n.status).toBe('cancelled');
      expect(n.deliveries[0].events.map((e: any) => e.type)).toEqual(['created', 'scheduled', 'cancelled']);
    });

    it('pages the log newest first with a cursor and filters it', async () => {
      await h.api('PUT', '/v1/users/pager', { email: 'pager@example.com' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await h.api('POST', '/v1/notifications', { user_id: 'pager', content: { email: { subject: `${i}`, text: 'x' } } })).body.id);
      const seen: string[] = [];
      let cursor = '';
      for (let page = 0; page < 5 && (page === 0 || cursor); page++) {
        const r = await h.api('GET', `/v1/notifications?user_id=pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...r.body.notifications.map((n: any) => n.id));
        cursor = r.body.next_cursor;
      }
      expect(seen).toEqual(ids.reverse());
    });
  });

  describe('app isolation', () => {
    it("never shows or touches another app's users and notifications", async () => {
      const other = await h.newApp('other');
      const as = (m: string, r: string, b?: unknown) => request(h.url, basic(other.key, other.secret), m, r, b);
      const mine = await h.api('POST', '/v1/notifications', { user_id: 'ada', content: { sms: { text: 'mine' } }, send_at: new Date(Date.now() + 60_000).toISOString() });
      expect((await as('GET', '/v1/users/ada')).status).toBe(404);
      expect((await as('GET', `/v1/notifications/${mine.body.id}`)).status).toBe(404);
      expect((await as('DELETE', `/v1/notifications/${mine.body.id}`)).status).toBe(404);
      expect((await as('POST', '/v1/notifications', { user_id: 'ada', content: { sms: { text: 'x' } } })).status).toBe(404);
      expect((await as('GET', '/v1/notifications')).body.notifications).toEqual([]);
      expect((await as('GET', '/v1/dead-letters')).body.deliveries).toEqual([]);
      const dead = (await h.api('GET', '/v1/dead-letters')).body.deliveries[0];
      expect((await as('POST', `/v1/deliveries/${dead.id}/retry`)).status).toBe(404);
      expect((await as('GET', '/v1/sandbox/messages')).body.messages).toEqual([]);
      // the same user id in the other app is a different user
      expect((await as('PUT', '/v1/users/ada', { email: 'other-ada@example.com' })).status).toBe(201);
      expect((await h.api('GET', '/v1/users/ada')).body.email).toBe('ada@example.com');
    });

    it('erases a user with devices and personal data in the log', async () => {
      await h.api('PUT', '/v1/users/gone', { email: 'gone@example.com' });
      const r = await h.api('POST', '/v1/notifications', { user_id: 'gone', content: { email: { subject: 'a', text: 'b' } } });
      await settle(r.body.id);
      expect((await h.api('DELETE', '/v1/users/gone')).status).toBe(204);
      expect((await h.api('GET', '/v1/users/gone')).status).toBe(404);
      expect((await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0].to).toBe('erased');
    });
  });
}
