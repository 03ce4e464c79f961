import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutLeaseLost, IdempotencyRace, type FanoutPage, type FanoutsRow, type NotificationBundle, type Store } from '../ports/store.js';
import { newId } from '../domain/ids.js';
import type { CapClaim } from '../domain/frequency-caps.js';

/** Topics, fan-outs and frequency-cap counters: the part of the Store contract that consent adds (run by sqlite/ and postgres/store.test.ts). */
export function consentStoreContract(make: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  let store: Store;
  let cleanup: () => Promise<void>;
  const APP = 'app-c';
  const T0 = 1_800_000_000_000;
  const HOUR = 3_600_000;

  beforeAll(async () => {
    ({ store, cleanup } = await make());
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  /** A notification with one queued SMS to `user`, claiming the SMS cap. */
  function capped(user: string, limit: number, opts: { at?: number; key?: string } = {}): NotificationBundle {
    const id = newId();
    const did = newId();
    const at = opts.at ?? T0;
    const start = Math.floor(at / HOUR) * HOUR;
    const claim: CapClaim = { app_id: APP, user_id: user, channel: 'sms', window_start: start, window_end: start + HOUR, limit, delivery_ids: [did] };
    return {
      notification: {
        id,
        app_id: APP,
        idempotency_key: opts.key ?? null,
        request_hash: opts.key ? 'h' : null,
        response: opts.key ? 'first' : null,
        user_id: user,
        template: null,
        template_version: null,
        category: null,
        priority: 'normal',
        status: 'accepted',
        send_at: null,
        expires_at: null,
        created_at: at,
      },
      deliveries: [
        {
          id: did,
          app_id: APP,
          notification_id: id,
          user_id: user,
          device_id: null,
          channel: 'sms',
          platform: null,
          provider: 'twilio',
          to_addr: '+14155550100',
          status: 'queued',
          reason: null,
          content: '{"sms":{"text":"x"}}',
          category: null,
          priority_rank: 1,
          run_at: at,
          lease_until: null,
          attempts: 0,
          provider_message_id: null,
          last_error: null,
          expires_at: null,
          created_at: at,
          updated_at: at,
        },
      ],
      events: [
        { app_id: APP, notification_id: id, delivery_id: did, type: 'created', at, data: null },
        { app_id: APP, notification_id: id, delivery_id: did, type: 'queued', at, data: null },
      ],
      caps: [claim],
      responseFor: (over) => (opts.key ? (over.has(did) ? 'capped' : 'first') : null),
    };
  }

  const statusOf = async (b: NotificationBundle) => (await store.notifications.get(APP, b.notification.id))!.deliveries[0];

  describe('frequency-cap counters', () => {
    it('grants claims first come first served within one insert and across inserts, and writes the rest suppressed', async () => {
      const [a, b, c] = [capped('u1', 2), capped('u1', 2), capped('u1', 2)];
      const over = await store.notifications.insert([a, b, c]);
      expect([...over]).toEqual([c.deliveries[0].id]);
      expect((await statusOf(a)).status).toBe('queued');
      const d = await statusOf(c);
      expect(d).toMatchObject({ status: 'suppressed', reason: 'rate_limited', content: null });
      expect(d.events.map((e) => e.type)).toEqual(['created', 'suppressed']);
      expect((await store.notifications.insert([capped('u1', 2)])).size).toBe(1);
      // Another user, another window: counted apart.
      expect((await store.notifications.insert([capped('u2', 2), capped('u1', 2, { at: T0 + HOUR })])).size).toBe(0);
    });

    it('follows a changed limit without losing count, and keeps nothing from a rolled-back insert', async () => {
      expect((await store.notifications.insert([capped('u3', 1)])).size).toBe(0);
      expect((await store.notifications.insert([capped('u3', 0)])).size).toBe(1);
      expect((await store.notifications.insert([capped('u3', 3), capped('u3', 3), capped('u3', 3)])).size).toBe(1);
      await store.notifications.insert([capped('u4', 1, { key: 'k-u4' })]);
      // The same key again: the transaction fails after its claim and the claim goes with it.
      await expect(store.notifications.insert([capped('u5', 1), capped('u5', 1, { key: 'k-u4' })])).rejects.toBeInstanceOf(IdempotencyRace);
      expect((await store.notifications.insert([capped('u5', 1)])).size).toBe(0);
    });

    it('holds under concurrent inserts', async () => {
      const overs = await Promise.all(Array.from({ length: 10 }, () => store.notifications.insert([capped('u6', 3)])));
      expect(overs.filter((o) => o.size === 0)).toHaveLength(3);
    });

    it('stores the replay body decided with the caps, and prunes ended windows', async () => {
      const b = capped('u7', 0, { key: 'k-u7' });
      await store.notifications.insert([b]);
      expect((await store.notifications.findByIdempotencyKeys(APP, ['k-u7']))[0].response).toBe('capped');
      expect(await store.capCounters.prune(T0 + HOUR)).toBeGreaterThan(0);
      expect((await store.notifications.insert([capped('u1', 2)])).size).toBe(0);
    });
  });

  describe('topics and fan-outs', () => {
    it('subscribes idempotently and pages subscribers by id after a cursor', async () => {
      expect(await store.topics.subscribe({ app_id: APP, topic: 'news', user_id: 'b', created_at: T0 })).toBe(true);
      expect(await store.topics.subscribe({ app_id: APP, topic: 'news', user_id: 'b', created_at: T0 })).toBe(false);
      await store.topics.subscribeMany(['a', 'c', 'd', 'e', 'b'].map((u) => ({ app_id: APP, topic: 'news', user_id: u, created_at: T0 })));
      await store.topics.subscribe({ app_id: 'other', topic: 'news', user_id: 'x', created_at: T0 });
      expect(await store.topics.subscribersAfter(APP, 'news', null, 2)).toEqual(['a', 'b']);
      expect(await store.topics.subscribersAfter(APP, 'news', 'b', 2)).toEqual(['c', 'd']);
      expect(await store.topics.subscribersAfter(APP, 'news', 'd', 2)).toEqual(['e']);
      expect(await store.topics.unsubscribe(APP, 'c', 'news')).toBe(true);
      expect(await store.topics.unsubscribe(APP, 'c', 'news')).toBe(false);
      expect((await store.topics.listForUser(APP, 'b')).map((s) => s.topic)).toEqual(['news']);
    });

    it('leases a fan-out to one holder, refuses a page from a holder that lost it, and finishes', async () => {
      const n = capped('fan', 5);
      const fanout: FanoutsRow = {
        id: n.notification.id,
        app_id: APP,
        topic: 'news',
        request: '{}',
        cursor: null,
        status: 'running',
        lease_owner: null,
        lease_until: null,
        pages: 0,
        users: 0,
        deliveries: 0,
        suppressed: 0,
        skipped: 0,
        created_at: T0,
        updated_at: T0,
        finished_at: null,
      };
      await store.notifications.insert([{ ...n, deliveries: [], events: [], caps: [], fanout }]);
      const first = await store.fanouts.claim(T0, 1000, 'one');
      expect(first?.lease_owner).toBe('one');
      expect(await store.fanouts.claim(T0 + 999, 1000, 'two')).toBeUndefined();
      const page = (owner: string, user: string, now: number, done = false): FanoutPage => {
        const b = capped(user, 5, { at: now });
        const deliveries = b.deliveries.map((d) => ({ ...d, notification_id: n.notification.id }));
        return { fanoutId: fanout.id, owner, cursor: user, users: 1, skipped: 0, done, deliveries, events: [], caps: b.caps!.map((c) => ({ ...c, delivery_ids: [deliveries[0].id] })), now, leaseUntil: now + 1000 };
      };
      await store.fanouts.commitPage(page('one', 'a', T0 + 10));
      // The lease runs out; another holder takes over from the cursor and the first one's next page is refused.
      const second = await store.fanouts.claim(T0 + 2000, 1000, 'two');
      expect(second).toMatchObject({ lease_owner: 'two', cursor: 'a', pages: 1, users: 1, deliveries: 1 });
      await expect(store.fanouts.commitPage(page('one', 'b', T0 + 2001))).rejects.toBeInstanceOf(FanoutLeaseLost);
      await store.fanouts.release(fanout.id, 'two');
      const third = await store.fanouts.claim(T0 + 2002, 1000, 'three');
      await store.fanouts.commitPage(page('three', 'b', T0 + 2003, true));
      expect(third?.cursor).toBe('a');
      expect(await store.fanouts.get(APP, fanout.id)).toMatchObject({ status: 'done', pages: 2, users: 2, deliveries: 2, cursor: 'b', lease_owner: null });
      expect(await store.fanouts.statusCounts(fanout.id)).toEqual({ queued: 2 });
      expect(await store.fanouts.claim(T0 + 9999, 1000, 'four')).toBeUndefined();
      expect(await store.fanouts.cancel(APP, fanout.id, T0)).toBe(false);
      expect(await store.fanouts.get('other', fanout.id)).toBeUndefined();
    });
  });
}
