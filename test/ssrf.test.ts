import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import webpush from 'web-push';
import { basic, eventually, request, startTestHerald, type TestHerald } from './helpers/herald.js';

/**
 * SPEC §11, issue 12: with HERALD_ALLOW_PRIVATE_NETWORKS unset, nothing Herald does for a tenant reaches
 * a listener on loopback — not webhooks, not web push subscriptions (the app's route and /v1/me), not
 * any provider endpoint override (APNs, FCM and its token_uri, Twilio, Vonage, SendGrid, the SMTP host):
 * refused when registered (400 invalid_endpoint, nothing stored), and refused again at connection time
 * for destinations already stored — registered while the flag was on, standing in for a name that was
 * public when registered and resolves to loopback now (`localhost` is such a name, with no network).
 * The guard's own rebinding case, a stub resolver answering public then loopback, is in
 * src/outbound/guard.test.ts.
 *
 * NETWORK RULE: every address here is loopback (or 0.0.0.0/[::], which reach the local host); nothing
 * else is ever registered or dialled.
 */

interface Listener {
  port: number;
  /** Every connection accepted since the last reset. */
  connections: number;
  close(): Promise<void>;
}

/** A TCP listener that counts connections and hangs up at once. */
function listener(host: string): Promise<Listener> {
  const server = net.createServer((s) => {
    l.connections++;
    s.destroy();
  });
  const l: Listener = { port: 0, connections: 0, close: () => new Promise<void>((r) => server.close(() => r())) };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      l.port = (server.address() as net.AddressInfo).port;
      resolve(l);
    });
  });
}

const TERMINAL = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];
const pem = (k: { export(o: { type: 'pkcs8'; format: 'pem' }): string | Buffer }) => String(k.export({ type: 'pkcs8', format: 'pem' }));
const APNS_KEY = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const FCM_KEY = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
const VAPID = webpush.generateVAPIDKeys();
const subscriptionKeys = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
};

type Api = TestHerald['api'];

// HERALD_SANDBOX=0, and unset: then the sandbox is decided per app and channel, and an app's own saved
// providers serve beside the operator's emulators (which alone connect without the guard).
describe.each([
  ['with the sandbox off', { HERALD_SANDBOX: '0' }],
  ['with the sandbox decided per app', {}],
])('outbound requests for tenants reach public addresses only, %s', (_mode, modeEnv: Record<string, string>) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-ssrf-'));
  let v4: Listener;
  let v6: Listener | undefined;
  /** Every loopback spelling of the IPv4 listener, plus the IPv6 one when this host has ::1. */
  let spellings: string[];
  let h: TestHerald;
  const apps: Record<'sms' | 'vonage' | 'mail' | 'smtp' | 'push', { key: string; secret: string }> = {} as never;
  const as = (name: keyof typeof apps): Api => (method, route, body, headers) => request(h.url, basic(apps[name].key, apps[name].secret), method, route, body, headers);
  const seen = () => v4.connections + (v6?.connections ?? 0);

  beforeAll(async () => {
    v4 = await listener('127.0.0.1');
    v6 = await listener('::1').catch(() => undefined);
    const p = v4.port;
    spellings = [
      `127.0.0.1:${p}`,
      `localhost:${p}`, // a name that resolves to loopback
      `[::ffff:127.0.0.1]:${p}`, // IPv4-mapped
      `2130706433:${p}`, // 127.0.0.1 as one number (WHATWG URL turns it into 127.0.0.1)
      `0177.0.0.1:${p}`, // octal
      `0.0.0.0:${p}`,
      `[::]:${p}`,
      ...(v6 ? [`[::1]:${v6.port}`] : []),
    ];
  });
  afterAll(async () => {
    await h?.stop();
    await v4?.close();
    await v6?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) => startTestHerald('sqlite', { HERALD_DATA_DIR: dataDir, ...modeEnv, ...env });

  it('with HERALD_ALLOW_PRIVATE_NETWORKS=1 the same loopback destinations are accepted, and reached', async () => {
    h = await start({ HERALD_ALLOW_PRIVATE_NETWORKS: '1' });
    for (const name of Object.keys({ sms: 1, vonage: 1, mail: 1, smtp: 1, push: 1 }) as (keyof typeof apps)[]) {
      apps[name] = await h.newApp(`ssrf-${name}`);
      expect((await as(name)('PUT', '/v1/users/u', { phone: '+14155552671', email: 'u@example.com' })).status).toBe(201);
    }
    const p = v4.port;
    const ok = async (r: Promise<{ status: number; body: unknown }>) => {
      const res = await r;
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    };
    await ok(as('sms')('PUT', '/v1/providers/twilio', { account_sid: `AC${'0'.repeat(32)}`, auth_token: 'x', from: '+15005550006', endpoint: `https://127.0.0.1:${p}` }));
    await ok(as('vonage')('PUT', '/v1/providers/vonage', { api_key: 'k', api_secret: 's', from: 'Herald', endpoint: `https://localhost:${p}` }));
    await ok(as('mail')('PUT', '/v1/providers/sendgrid', { api_key: 'SG.x', from: 'a@example.com', endpoint: `https://[::ffff:127.0.0.1]:${p}` }));
    await ok(as('smtp')('PUT', '/v1/providers/smtp', { host: 'localhost', port: p, from: 'a@example.com' }));
    const push = as('push');
    await ok(push('PUT', '/v1/providers/apns', { team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: APNS_KEY, topic: 'com.example.app', endpoint: v6 ? `https://[::1]:${v6.port}` : `https://127.0.0.1:${p}` }));
    await ok(
      push('PUT', '/v1/providers/fcm', {
        service_account: { project_id: 'p', client_email: 'sa@p.iam.gserviceaccount.com', private_key: FCM_KEY, token_uri: `https://localhost:${p}/token` },
        endpoint: `https://2130706433:${p}`,
      }),
    );
    await ok(push('PUT', '/v1/providers/webpush', { vapid_public_key: VAPID.publicKey, vapid_private_key: VAPID.privateKey, subject: 'mailto:ops@example.com' }));
    await ok(push('POST', '/v1/users/u/devices', { platform: 'ios', token: 'ab'.repeat(32) }));
    await ok(push('POST', '/v1/users/u/devices', { platform: 'android', token: `fcm_${'t'.repeat(60)}` }));
    await ok(push('POST', '/v1/users/u/devices', { platform: 'web', subscription: { endpoint: `https://127.0.0.1:${p}/push/app`, keys: subscriptionKeys() } }));
    const token = (await push('POST', '/v1/users/u/tokens', {})).body.token as string;
    const me = await request(h.url, `Bearer ${token}`, 'POST', '/v1/me/devices', { platform: 'web', subscription: { endpoint: `https://localhost:${p}/push/me`, keys: subscriptionKeys() } });
    expect(me.status, JSON.stringify(me.body)).toBe(201);
    const secret = 'whsec_0123456789abcdef';
    await ok(push('PUT', '/v1/webhooks/named', { url: `http://localhost:${p}/hook`, events: ['*'], secret }));
    await ok(push('PUT', '/v1/webhooks/literal', { url: v6 ? `http://[::1]:${v6.port}/hook` : `http://127.0.0.1:${p}/hook`, events: ['*'], secret }));

    // The listener would see what the guard lets through: one SMS, dialled at 127.0.0.1.
    expect((await as('sms')('POST', '/v1/notifications', { user_id: 'u', content: { sms: { text: 'control' } } })).status).toBe(202);
    await eventually(async () => seen() > 0);
    await h.stop();
  }, 60_000);

  describe('with the flag unset', () => {
    beforeAll(async () => {
      h = await start({});
      // Nothing of the restart's own reaches the listeners; from here on every count must stay 0.
      await new Promise((r) => setTimeout(r, 200));
      v4.connections = 0;
      if (v6) v6.connections = 0;
    });

    const refused = async (r: { status: number; body: any }, field: string, what: string) => {
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error, what).toMatchObject({ code: 'invalid_endpoint', field });
    };

    it('refuses every loopback spelling when registered, and stores nothing', async () => {
      const push = as('push');
      const token = (await push('POST', '/v1/users/u/tokens', {})).body.token as string;
      const before = {
        webhooks: (await push('GET', '/v1/webhooks')).body.webhooks.length,
        devices: (await push('GET', '/v1/users/u/devices')).body.devices.length,
      };
      for (const hp of spellings) {
        await refused(await push('PUT', '/v1/webhooks/new', { url: `http://${hp}/hook`, events: ['*'], secret: 'whsec_0123456789abcdef' }), 'url', `webhook ${hp}`);
        const sub = { platform: 'web', subscription: { endpoint: `https://${hp}/push/x`, keys: subscriptionKeys() } };
        await refused(await push('POST', '/v1/users/u/devices', sub), 'subscription.endpoint', `app device ${hp}`);
        await refused(await request(h.url, `Bearer ${token}`, 'POST', '/v1/me/devices', sub), 'subscription.endpoint', `/v1/me device ${hp}`);
        const endpoint = `https://${hp}`;
        const bodies: Record<string, unknown> = {
          apns: { team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: APNS_KEY, topic: 'com.example.app', endpoint },
          fcm: { service_account: { project_id: 'p', client_email: 'sa@p.iam.gserviceaccount.com', private_key: FCM_KEY }, endpoint },
          twilio: { account_sid: `AC${'0'.repeat(32)}`, auth_token: 'x', from: '+15005550006', endpoint },
          vonage: { api_key: 'k', api_secret: 's', from: 'Herald', endpoint },
          sendgrid: { api_key: 'SG.x', from: 'a@example.com', endpoint },
        };
        for (const [name, body] of Object.entries(bodies)) await refused(await as('mail')('PUT', `/v1/providers/${name}`, body), 'endpoint', `${name} ${hp}`);
        const fcmTokenUri = { service_account: { project_id: 'p', client_email: 'sa@p.iam.gserviceaccount.com', private_key: FCM_KEY, token_uri: `https://${hp}/token` } };
        await refused(await as('mail')('PUT', '/v1/providers/fcm', fcmTokenUri), 'service_account.token_uri', `fcm token_uri ${hp}`);
      }
      for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', '2130706433', '0177.0.0.1', '0.0.0.0', '::']) {
        await refused(await as('mail')('PUT', '/v1/providers/smtp', { host, port: v4.port, from: 'a@example.com' }), 'host', `smtp ${host}`);
      }
      // Nothing was stored: the mail app still has its one SendGrid configuration, the push app what it had.
      expect((await as('mail')('GET', '/v1/providers')).body.providers.map((x: { name: string }) => x.name)).toEqual(['sendgrid']);
      expect((await push('GET', '/v1/webhooks')).body.webhooks.length).toBe(before.webhooks);
      expect((await push('GET', '/v1/users/u/devices')).body.devices.length).toBe(before.devices);
      expect(seen()).toBe(0);
    }, 60_000);

    it('refuses at connection time what was stored before: no provider, subscription or webhook connects', async () => {
      const settle = (api: Api, id: string) =>
        eventually(async () => {
          const r = await api('GET', `/v1/notifications/${id}`);
          return r.body.deliveries.every((d: { status: string }) => TERMINAL.includes(d.status)) ? r.body : undefined;
        }, 20_000);
      const sends: [keyof typeof apps, object][] = [
        ['sms', { sms: { text: 'hi' } }],
        ['vonage', { sms: { text: 'hi' } }],
        ['mail', { email: { subject: 's', text: 't' } }],
        ['smtp', { email: { subject: 's', text: 't' } }],
        ['push', { push: { title: 'hi' } }],
      ];
      const failures: { provider: string; status: string; kind?: string; code?: string }[] = [];
      for (const [app, content] of sends) {
        const r = await as(app)('POST', '/v1/notifications', { user_id: 'u', content });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        for (const d of (await settle(as(app), r.body.id)).deliveries) {
          const last = d.events.at(-1);
          failures.push({ provider: d.provider, status: d.status, kind: last?.data?.kind, code: last?.data?.code });
        }
      }
      // APNs, FCM (its token_uri is asked first) and both web subscriptions, Twilio, Vonage, SendGrid, SMTP.
      expect(failures.map((f) => f.provider).sort()).toEqual(['apns', 'fcm', 'sendgrid', 'smtp', 'twilio', 'vonage', 'webpush', 'webpush']);
      for (const f of failures) {
        expect(f, f.provider).toMatchObject({ status: 'failed', code: 'invalid_endpoint', kind: f.provider === 'webpush' ? 'invalid_recipient' : 'permanent' });
      }
      // A refused subscription is a forged one: the device is retired.
      const web = (await as('push')('GET', '/v1/users/u/devices')).body.devices.filter((d: { platform: string }) => d.platform === 'web');
      expect(web.map((d: { active: boolean; deactivated_reason: string }) => [d.active, d.deactivated_reason])).toEqual([
        [false, 'invalid_endpoint'],
        [false, 'invalid_endpoint'],
      ]);
      // The push app's webhooks had events to send; each attempt was refused before connecting.
      for (const id of ['named', 'literal']) {
        const attempt = await eventually(async () => (await as('push')('GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries[0], 20_000);
        expect(attempt.error, id).toMatch(/^not sent: .*(loopback|resolves to a loopback) address/);
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(seen()).toBe(0);
    }, 90_000);
  });
});
