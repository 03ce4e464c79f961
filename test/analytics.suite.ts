import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, eventually, request, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';
import { newId } from '../src/domain/ids.js';
import type { DeliveriesRow, NotificationBundle } from '../src/ports/store.js';

const TERMINAL = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];
const DAY = 86_400_000;
const NO_SUPPRESSION = { opted_out: 0, unsubscribed: 0, rate_limited: 0, no_contact: 0, invalid_contact: 0, duplicate: 0 };

/** An expected row: the keys, every count (0 unless given) and the rates as stated. */
function row(keys: Record<string, string | null>, counts: Record<string, unknown>, rates: [number | null, number | null, number | null]) {
  const { suppressed_by_reason, ...rest } = counts;
  return {
    ...keys,
    total: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    suppressed: 0,
    cancelled: 0,
    expired: 0,
    pending: 0,
    opened: 0,
    clicked: 0,
    ...rest,
    suppressed_by_reason: { ...NO_SUPPRESSION, ...(suppressed_by_reason as object | undefined) },
    delivery_rate: rates[0],
    open_rate: rates[1],
    click_rate: rates[2],
  };
}

/**
 * GET /v1/analytics against one database: a known set of sends through HTTP (sandbox failures,
 * opt-outs, a frequency cap, SendGrid receipts, opens and clicks through the tracking store), then
 * the exact rows for several groupings; another app's sends never count.
 */
export function analyticsSuite(db: DbKind): void {
  let h: TestHerald;
  let appId: string;
  let otherAuth: string;
  const byName = new Map<string, { id: string; deliveries: any[] }>();

  const settle = (id: string) =>
    eventually(async () => {
      const r = await h.api('GET', `/v1/notifications/${id}`);
      return r.body.deliveries.every((d: any) => TERMINAL.includes(d.status)) ? r.body : undefined;
    });
  const send = async (name: string, body: Record<string, unknown>) => {
    const r = await h.api('POST', '/v1/notifications', body);
    expect(r.status).toBe(202);
    const n = await settle(r.body.id);
    byName.set(name, { id: r.body.id, deliveries: n.deliveries });
    return n;
  };
  const delivery = (name: string, channel: string) => byName.get(name)!.deliveries.find((d: any) => d.channel === channel);
  /** A SendGrid Event Webhook receipt for one email, signed by the emulator as SendGrid would. */
  const receipt = async (name: string, type: 'delivered' | 'bounce') => {
    const sendgrid = h.herald.emulators!.sendgrid;
    const d = delivery(name, 'email');
    const mail = sendgrid.received.find((m) => m.customArgs.herald_delivery_id === d.id)!;
    expect((await sendgrid.postEvents(`${h.url}/hooks/sendgrid`, sendgrid.eventsFor(mail.messageId, [type]))).status).toBe(200);
  };
  const analytics = async (query: string) => {
    const r = await h.api('GET', `/v1/analytics${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    h = await startTestHerald(db);
    appId = (await h.herald.store.apps.findByKey(h.key))!.id;
    const ok = (r: { status: number }) => expect(r.status).toBeLessThan(300);
    ok(await h.api('PUT', '/v1/templates/welcome', { category: 'onboarding', channels: { email: { subject: 'Welcome', text: 'Hi' }, sms: { text: 'Hi' } } }));
    ok(await h.api('PUT', '/v1/templates/promo', { category: 'marketing', channels: { email: { subject: 'Sale', html: '<p>Sale</p>' } } }));
    // One SMS per user a day (a window that starts at UTC midnight, not one the test may cross at the hour):
    // a second SMS to ann is suppressed rate_limited.
    ok(await h.api('PUT', '/v1/settings', { frequency_caps: { sms: { limit: 1, window_s: 86_400 } } }));
    ok(await h.api('PUT', '/v1/users/ann', { email: 'ann@example.com', phone: '+14155550101' }));
    ok(await h.api('PUT', '/v1/users/bob', { email: 'bounce.bob@example.com', phone: '+14155550102' }));
    ok(await h.api('PUT', '/v1/users/cat', { email: 'cat@example.com', phone: '+14155550103' }));
    ok(await h.api('PUT', '/v1/users/cat/preferences', { channels: { email: false } }));
    ok(await h.api('PUT', '/v1/users/dan', { email: 'dan@example.com' }));
    ok(await h.api('PUT', '/v1/users/eve', { email: 'reject.eve@example.com', phone: '+14155550105' }));
    ok(await h.api('PUT', '/v1/users/fay', { email: 'fay@example.com' }));
    ok(await h.api('POST', '/v1/users/fay/devices', { platform: 'ios', token: 'ab'.repeat(32) }));

    // welcome (onboarding): email + sms to each of five users.
    await send('w-ann', { user_id: 'ann', template: 'welcome' }); // email sent, sms sent
    await send('w-bob', { user_id: 'bob', template: 'welcome' }); // email failed (bounce… at the provider), sms sent
    await send('w-cat', { user_id: 'cat', template: 'welcome' }); // email suppressed opted_out, sms sent
    await send('w-dan', { user_id: 'dan', template: 'welcome' }); // email sent, sms suppressed no_contact
    await send('w-eve', { user_id: 'eve', template: 'welcome' }); // email failed (reject…), sms sent
    // promo (marketing): email only.
    await send('p-ann', { user_id: 'ann', template: 'promo' }); // sent
    await send('p-dan', { user_id: 'dan', template: 'promo' }); // sent, then a bounce receipt: failed after sending
    await send('p-fay', { user_id: 'fay', template: 'promo' }); // sent, then a delivered receipt
    // Inline content: no template, no category.
    await send('i-ann', { user_id: 'ann', content: { sms: { text: 'again' } } }); // suppressed rate_limited
    await send('i-fay', { user_id: 'fay', content: { push: { title: 'Hi' } } }); // push sent (APNs)
    expect(delivery('w-bob', 'email')).toMatchObject({ status: 'failed', reason: 'invalid_recipient' });
    expect(delivery('w-cat', 'email')).toMatchObject({ status: 'suppressed', reason: 'opted_out', provider: 'sendgrid' });
    expect(delivery('w-dan', 'sms')).toMatchObject({ status: 'suppressed', reason: 'no_contact', provider: 'twilio' });
    expect(delivery('i-ann', 'sms')).toMatchObject({ status: 'suppressed', reason: 'rate_limited', provider: 'twilio' });
    expect(delivery('i-fay', 'push')).toMatchObject({ status: 'sent', provider: 'apns' });

    await receipt('p-dan', 'bounce');
    await receipt('p-fay', 'delivered');
    const tracking = h.herald.store.tracking;
    const now = Date.now();
    await tracking.recordOpen(delivery('w-ann', 'email').id, now);
    await tracking.recordOpen(delivery('w-ann', 'email').id, now); // a second open of the same mail counts once
    await tracking.recordClick(delivery('w-ann', 'email').id, 'https://example.com/a', now);
    await tracking.recordOpen(delivery('p-ann', 'email').id, now);
    await tracking.recordOpen(delivery('p-fay', 'email').id, now);
    await tracking.recordClick(delivery('p-fay', 'email').id, 'https://example.com/b', now);
    await tracking.recordClick(delivery('p-fay', 'email').id, 'https://example.com/c', now);
    await tracking.recordOpen(delivery('i-fay', 'push').id, now); // a client app reporting the push opened
    const final = async (name: string) => (await h.api('GET', `/v1/notifications/${byName.get(name)!.id}`)).body.deliveries[0];
    expect(await final('p-dan')).toMatchObject({ status: 'failed', reason: 'bounced' });
    expect(await final('p-fay')).toMatchObject({ status: 'delivered' });

    // Another app's sends, on the same server and database: never in this app's figures.
    const other = await h.newApp('other');
    const auth = (otherAuth = basic(other.key, other.secret));
    for (const to of ['x@example.com', 'bounce.y@example.com']) {
      expect((await request(h.url, auth, 'POST', '/v1/notifications', { to: { email: to }, content: { email: { subject: 'S', text: 'T' } } })).status).toBe(202);
    }
    const ids = (await request(h.url, auth, 'GET', '/v1/notifications')).body.notifications.map((n: any) => n.id);
    for (const id of ids) await eventually(async () => (await request(h.url, auth, 'GET', `/v1/notifications/${id}`)).body.deliveries.every((d: any) => TERMINAL.includes(d.status)));
  });
  afterAll(async () => {
    await h?.stop();
  });

  // 15 deliveries: 8 status sent, 1 delivered, 3 failed (one after sending), 3 suppressed.
  // Reached a provider: 10 (6 of them email or push, 5 email); opened 4, clicked 2.
  const TOTALS = {
    total: 15,
    sent: 10,
    delivered: 1,
    failed: 3,
    suppressed: 3,
    suppressed_by_reason: { opted_out: 1, no_contact: 1, rate_limited: 1 },
    opened: 4,
    clicked: 2,
  };

  it('answers totals over the last 30 days without group_by', async () => {
    const r = await analytics('');
    expect(r.group_by).toEqual([]);
    expect(Date.parse(r.until) - Date.parse(r.since)).toBe(30 * DAY);
    expect(r.rows).toEqual([row({}, TOTALS, [0.1, 0.6667, 0.4])]);
  });

  it('groups by channel', async () => {
    const r = await analytics('?group_by=channel');
    expect(r.rows).toEqual([
      row({ channel: 'email' }, { total: 8, sent: 5, delivered: 1, failed: 3, suppressed: 1, suppressed_by_reason: { opted_out: 1 }, opened: 3, clicked: 2 }, [0.2, 0.6, 0.4]),
      row({ channel: 'push' }, { total: 1, sent: 1, opened: 1 }, [0, 1, null]),
      row({ channel: 'sms' }, { total: 6, sent: 4, suppressed: 2, suppressed_by_reason: { no_contact: 1, rate_limited: 1 } }, [0, null, null]),
    ]);
  });

  it('groups by template and channel, sends without a template last', async () => {
    const r = await analytics('?group_by=template,channel');
    expect(r.group_by).toEqual(['template', 'channel']);
    expect(r.rows).toEqual([
      row({ template: 'promo', channel: 'email' }, { total: 3, sent: 3, delivered: 1, failed: 1, opened: 2, clicked: 1 }, [0.3333, 0.6667, 0.3333]),
      row({ template: 'welcome', channel: 'email' }, { total: 5, sent: 2, failed: 2, suppressed: 1, suppressed_by_reason: { opted_out: 1 }, opened: 1, clicked: 1 }, [0, 0.5, 0.5]),
      row({ template: 'welcome', channel: 'sms' }, { total: 5, sent: 4, suppressed: 1, suppressed_by_reason: { no_contact: 1 } }, [0, null, null]),
      row({ template: null, channel: 'push' }, { total: 1, sent: 1, opened: 1 }, [0, 1, null]),
      row({ template: null, channel: 'sms' }, { total: 1, suppressed: 1, suppressed_by_reason: { rate_limited: 1 } }, [null, null, null]),
    ]);
  });

  it('groups by category and provider, keys in the order asked', async () => {
    const r = await analytics('?group_by=provider,category');
    expect(r.rows.map((x: any) => Object.keys(x).slice(0, 2))).toEqual(Array(5).fill(['provider', 'category']));
    expect(r.rows).toEqual([
      row({ provider: 'apns', category: null }, { total: 1, sent: 1, opened: 1 }, [0, 1, null]),
      row({ provider: 'sendgrid', category: 'marketing' }, { total: 3, sent: 3, delivered: 1, failed: 1, opened: 2, clicked: 1 }, [0.3333, 0.6667, 0.3333]),
      row({ provider: 'sendgrid', category: 'onboarding' }, { total: 5, sent: 2, failed: 2, suppressed: 1, suppressed_by_reason: { opted_out: 1 }, opened: 1, clicked: 1 }, [0, 0.5, 0.5]),
      row({ provider: 'twilio', category: 'onboarding' }, { total: 5, sent: 4, suppressed: 1, suppressed_by_reason: { no_contact: 1 } }, [0, null, null]),
      row({ provider: 'twilio', category: null }, { total: 1, suppressed: 1, suppressed_by_reason: { rate_limited: 1 } }, [null, null, null]),
    ]);
  });

  it('groups by UTC day, with since inclusive and until exclusive', async () => {
    // Three deliveries written straight into the log on two days forty days ago (outside the default 30), at the days' edges.
    const day0 = (Math.floor(Date.now() / DAY) - 40) * DAY;
    const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
    await insertDelivered(h, appId, [day0, day0 + DAY - 1, day0 + DAY]);
    const r = await analytics(`?group_by=day&since=${iso(day0)}&until=${iso(day0 + 2 * DAY)}`);
    expect(r.since).toBe(new Date(day0).toISOString());
    expect(r.rows).toEqual([
      row({ day: iso(day0) }, { total: 2, sent: 2, delivered: 2 }, [1, null, null]),
      row({ day: iso(day0 + DAY) }, { total: 1, sent: 1, delivered: 1 }, [1, null, null]),
    ]);
    const later = await analytics(`?group_by=day,channel&since=${iso(day0)}T12:00:00Z&until=${iso(day0 + DAY)}`);
    expect(later.rows).toEqual([row({ day: iso(day0), channel: 'sms' }, { total: 1, sent: 1, delivered: 1 }, [1, null, null])]);
    // Today's sends, grouped by day, are the totals above.
    const today = await analytics('?group_by=day');
    expect(today.rows).toEqual([row({ day: iso(Date.now()) }, TOTALS, [0.1, 0.6667, 0.4])]);
    // Nothing in the range: totals of zero without group_by, no rows with it.
    const empty = `since=${iso(day0 - 5 * DAY)}&until=${iso(day0 - 4 * DAY)}`;
    expect((await analytics(`?${empty}`)).rows).toEqual([row({}, {}, [null, null, null])]);
    expect((await analytics(`?group_by=template&${empty}`)).rows).toEqual([]);
  });

  it('groups by everything at once', async () => {
    const r = await analytics('?group_by=template,channel,provider,day,category');
    expect(r.rows).toHaveLength(5);
    expect(r.rows.reduce((s: number, x: any) => s + x.total, 0)).toBe(15);
  });

  it("never counts another app's deliveries, and shows that app only its own", async () => {
    // This app's totals above already exclude the other app's two emails; the other app sees only those.
    const r = await request(h.url, otherAuth, 'GET', '/v1/analytics?group_by=channel');
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([row({ channel: 'email' }, { total: 2, sent: 1, failed: 1 }, [0, 0, 0])]);
  });

  it('refuses unknown groupings and bad dates with the error envelope', async () => {
    const bad = async (query: string, code: string, field: string) => {
      const r = await h.api('GET', `/v1/analytics${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error, query).toMatchObject({ code, field });
      expect(typeof r.body.error.message).toBe('string');
    };
    await bad('?group_by=country', 'invalid_group_by', 'group_by');
    await bad('?group_by=channel,,day', 'invalid_group_by', 'group_by');
    await bad('?group_by=Channel', 'invalid_group_by', 'group_by');
    await bad('?since=yesterday', 'invalid_date', 'since');
    await bad('?since=2026', 'invalid_date', 'since');
    await bad('?until=2026-02-31', 'invalid_date', 'until');
    await bad('?until=2026-11-01T25:00:00Z', 'invalid_date', 'until');
    await bad('?since=2026-11-02&until=2026-11-01', 'invalid_date', 'since');
    await bad('?since=2026-11-01&until=2026-11-01', 'invalid_date', 'since');
    const r = await request(h.url, undefined, 'GET', '/v1/analytics');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });
}

/** Delivered SMS written straight through the Store at the given creation times (one notification each). */
async function insertDelivered(h: TestHerald, appId: string, times: number[]): Promise<void> {
  const bundles: NotificationBundle[] = times.map((t) => {
    const id = newId();
    const d: DeliveriesRow = {
      id: newId(),
      app_id: appId,
      notification_id: id,
      user_id: null,
      device_id: null,
      channel: 'sms',
      platform: null,
      provider: 'twilio',
      to_addr: '+14155550199',
      status: 'delivered',
      reason: null,
      content: null,
      category: null,
      priority_rank: 1,
      run_at: t,
      lease_until: null,
      attempts: 1,
      provider_message_id: `SM${id}`,
      last_error: null,
      expires_at: null,
      created_at: t,
      updated_at: t,
    };
    return {
      notification: { id, app_id: appId, idempotency_key: null, request_hash: null, response: null, user_id: null, template: null, template_version: null, category: null, priority: 'normal', status: 'accepted', send_at: null, expires_at: null, created_at: t },
      deliveries: [d],
      events: [],
    };
  });
  await h.herald.store.notifications.insert(bundles);
}
