/**
 * Push provider adapters against their emulators: deliveries per second through each adapter,
 * and the same emulator's capacity with a bare client on the same transport (same connection
 * settings, auth made once, bodies prebuilt). The ratio is what the adapter's own work costs.
 *
 *   node dist/bench/provider-push.js [count=5000] [concurrency=200]
 *
 * Emulator and clients share this process (and the machine's cores), as in the sandbox.
 * Web Push's raw loop still encrypts every message: RFC 8291 demands a fresh key per message,
 * so that cost is the protocol's, not the adapter's.
 */
import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { createSecureContext, rootCertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import webpush from 'web-push';
import type { ChannelAdapter, OutboundMessage } from '../src/ports/channel-adapter.js';
import { createApnsAdapter } from '../src/channels/push/apns/adapter.js';
import { createFcmAdapter } from '../src/channels/push/fcm/adapter.js';
import { createWebPushAdapter } from '../src/channels/push/webpush/adapter.js';
import { startApnsEmulator } from '../src/emulators/apns/index.js';
import { startFcmEmulator } from '../src/emulators/fcm/index.js';
import { startWebPushEmulator } from '../src/emulators/webpush/index.js';

export interface PushBenchRow {
  provider: string;
  adapterPerSec: number;
  rawPerSec: number;
  ratio: number;
}

export interface PushBenchOptions {
  /** Deliveries measured per provider and per mode (adapter, raw). */
  count: number;
  /** Requests in flight (default 200). */
  concurrency?: number;
  onProgress?: (line: string) => void;
}

/** One provider's two ways of sending message `i`, plus cleanup. */
interface Contender {
  provider: string;
  viaAdapter: (i: number) => Promise<unknown>;
  raw: (i: number) => Promise<unknown>;
  close: () => Promise<void>;
}

const ROUNDS = 5;
const PUSH = { title: 'Order shipped', body: 'Your parcel is on its way', data: { order: '42' } };

export async function benchPushProviders(opts: PushBenchOptions): Promise<PushBenchRow[]> {
  const concurrency = opts.concurrency ?? 200;
  const log = opts.onProgress ?? (() => undefined);
  const rows: PushBenchRow[] = [];
  for (const setup of [apnsContender, fcmContender, webPushContender]) {
    const c = await setup(opts.count);
    try {
      // Enough warm-up for the JIT to settle: the first thousand requests run at half speed.
      const warm = Math.min(2000, opts.count);
      await run(c.viaAdapter, warm, concurrency);
      await run(c.raw, warm, concurrency);
      // Short alternating rounds and the median rate, so a burst of load from another process on a
      // shared machine skews one round rather than one mode.
      const per = Math.ceil(opts.count / ROUNDS);
      const adapterRates: number[] = [];
      const rawRates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [c.viaAdapter, c.raw] : [c.raw, c.viaAdapter];
        for (const send of order) {
          const rate = (per * 1000) / (await run(send, per, concurrency));
          (send === c.raw ? rawRates : adapterRates).push(rate);
        }
      }
      const adapterPerSec = Math.round(median(adapterRates));
      const rawPerSec = Math.round(median(rawRates));
      const row = { provider: c.provider, adapterPerSec, rawPerSec, ratio: Math.round((adapterPerSec / rawPerSec) * 100) / 100 };
      rows.push(row);
      log(`${row.provider}: adapter ${adapterPerSec}/s, raw ${rawPerSec}/s, ratio ${row.ratio}`);
    } finally {
      await c.close();
    }
  }
  return rows;
}

/** Sends `count` messages with `concurrency` in flight; returns elapsed ms. Any failure aborts the bench. */
async function run(send: (i: number) => Promise<unknown>, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function message(to: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { deliveryId: randomUUID(), channel: 'push', to, priority: 'high', push: PUSH, ...extra };
}

async function apnsContender(count: number): Promise<Contender> {
  const emu = await startApnsEmulator({ maxReceived: 1000 });
  const key = emu.createProviderKey();
  const topic = 'com.example.bench';
  const adapter: ChannelAdapter = createApnsAdapter({ ...key, topic, endpoint: emu.url, ca: emu.ca });
  const tokens = Array.from({ length: Math.min(count, 1000) }, () => randomBytes(32).toString('hex'));

  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'ES256', kid: key.key_id })}.${enc({ iss: key.team_id, iat: Math.floor(Date.now() / 1000) })}`;
  const jwt = `${input}.${sign('sha256', Buffer.from(input), { key: createPrivateKey(key.private_key), dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  const body = Buffer.from(JSON.stringify({ aps: { alert: { title: PUSH.title, body: PUSH.body } }, order: '42' }));
  const session: ClientHttp2Session = http2.connect(emu.url, { secureContext: createSecureContext({ ca: [...rootCertificates, emu.ca] }) });
  const raw = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = {
        ':method': 'POST',
        ':path': `/3/device/${tokens[i % tokens.length]}`,
        authorization: `bearer ${jwt}`,
        'apns-topic': topic,
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'apns-expiration': '0',
        'apns-id': randomUUID(),
      };
      const req = session.request(headers);
      req.on('response', (h) => {
        if (h[':status'] !== 200) reject(new Error(`APNs raw: ${h[':status']}`));
      });
      req.on('data', () => undefined);
      req.on('end', resolve);
      req.on('error', reject);
      req.end(body);
    });
  return {
    provider: 'apns',
    viaAdapter: (i) => adapter.send(message(tokens[i % tokens.length], { platform: 'ios' })),
    raw,
    async close() {
      await adapter.close();
      session.close();
      await emu.close();
    },
  };
}

async function fcmContender(count: number): Promise<Contender> {
  const emu = await startFcmEmulator({ maxReceived: 1000 });
  const sa = emu.createServiceAccount('herald-bench');
  const adapter = createFcmAdapter({ service_account: sa, endpoint: emu.url });
  const tokens = Array.from({ length: Math.min(count, 1000) }, () => `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(96).toString('base64url')}`);

  // The bare client borrows one token from the emulator the way the adapter would, once.
  await adapter.send(message(tokens[0], { platform: 'android' }));
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const input = `${enc({ alg: 'RS256', typ: 'JWT', kid: sa.private_key_id })}.${enc({ iss: sa.client_email, scope: 'https://www.googleapis.com/auth/firebase.messaging', aud: sa.token_uri, iat, exp: iat + 3600 })}`;
  const assertion = `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(sa.private_key)).toString('base64url')}`;
  const agent = new Agent({ connections: 32, allowH2: true, keepAliveTimeout: 60_000 });
  const grant = await request(sa.token_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    dispatcher: agent,
  });
  const { access_token } = (await grant.body.json()) as { access_token: string };
  const bodies = tokens.map((token) =>
    JSON.stringify({ message: { token, notification: { title: PUSH.title, body: PUSH.body }, data: PUSH.data, android: { priority: 'high' } } }),
  );
  const url = `${emu.url}/v1/projects/herald-bench/messages:send`;
  const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json; charset=UTF-8' };
  const raw = async (i: number): Promise<void> => {
    const res = await request(url, { method: 'POST', headers, body: bodies[i % bodies.length], dispatcher: agent });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`FCM raw: ${res.statusCode}`);
  };
  return {
    provider: 'fcm',
    viaAdapter: (i) => adapter.send(message(tokens[i % tokens.length], { platform: 'android' })),
    raw,
    async close() {
      await adapter.close();
      await agent.close();
      await emu.close();
    },
  };
}

async function webPushContender(count: number): Promise<Contender> {
  const emu = await startWebPushEmulator({ maxReceived: 1000 });
  const vapidKeys = webpush.generateVAPIDKeys();
  const subject = 'mailto:bench@herald.test';
  const adapter = createWebPushAdapter({ vapid_public_key: vapidKeys.publicKey, vapid_private_key: vapidKeys.privateKey, subject, ca: emu.ca });
  const subs = Array.from({ length: Math.min(count, 1000) }, () => emu.createSubscription());

  const authorization = webpush.getVapidHeaders(emu.url, subject, vapidKeys.publicKey, vapidKeys.privateKey, 'aes128gcm').Authorization;
  const agent = new Agent({
    connections: 32,
    allowH2: true,
    keepAliveTimeout: 60_000,
    connect: { secureContext: createSecureContext({ ca: [...rootCertificates, emu.ca] }) },
  });
  const plaintext = Buffer.from(JSON.stringify(PUSH));
  const raw = async (i: number): Promise<void> => {
    const sub = subs[i % subs.length];
    const body = webpush.encrypt(sub.keys.p256dh, sub.keys.auth, plaintext, 'aes128gcm').cipherText;
    const res = await request(sub.endpoint, {
      method: 'POST',
      headers: { ttl: '2419200', urgency: 'high', 'content-encoding': 'aes128gcm', 'content-type': 'application/octet-stream', authorization },
      body,
      dispatcher: agent,
    });
    await res.body.text();
    if (res.statusCode !== 201) throw new Error(`Web Push raw: ${res.statusCode}`);
  };
  return {
    provider: 'webpush',
    viaAdapter: (i) => {
      const sub = subs[i % subs.length];
      return adapter.send(message(sub.endpoint, { platform: 'web', subscription: sub }));
    },
    raw,
    async close() {
      await adapter.close();
      await agent.close();
      await emu.close();
    },
  };
}

function table(rows: PushBenchRow[]): string {
  const lines = ['provider   adapter/s     raw/s   ratio', '--------   ---------   -------   -----'];
  for (const r of rows) {
    lines.push(`${r.provider.padEnd(8)}   ${String(r.adapterPerSec).padStart(9)}   ${String(r.rawPerSec).padStart(7)}   ${r.ratio.toFixed(2).padStart(5)}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 5000);
  const concurrency = Number(process.argv[3] ?? 200);
  benchPushProviders({ count, concurrency, onProgress: (l) => console.error(l) })
    .then((rows) => console.log(table(rows)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
