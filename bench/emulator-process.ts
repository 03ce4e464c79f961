/**
 * The provider emulators the scaled bench needs (APNs and FCM for push, Twilio for SMS, SendGrid for
 * email), in a process of their own so their CPU is not counted against Herald or the baseline.
 *
 *   node dist/bench/emulator-process.js [--latency 20] [--ca-file /tmp/emulators-ca.pem]
 *
 * Writes the emulators' TLS certificate to `--ca-file` (give it to clients as NODE_EXTRA_CA_CERTS)
 * and prints one JSON line on stdout (EmulatorInfo): each emulator's endpoint and credentials, as
 * the bodies of `PUT /v1/providers/{name}`, and the plain-HTTP control address:
 *   GET  /stats  → received counts per provider, rejections, time of the last message (EmulatorStats)
 *   GET  /times  → one `key epoch-ms` line per message received since the last reset
 *   POST /reset  → forgets counts and times
 * The key of a message is the Herald delivery id where the request carries it (APNs apns-id, SendGrid
 * custom_args.herald_delivery_id), else the id the provider answered (Twilio SID, FCM message name),
 * which Herald stores as the delivery's provider_message_id.
 * Receive time: the emulators record a message when they answer it, `latency` ms after the request
 * arrived; the time kept here is that minus `latency`.
 * Exits on SIGTERM/SIGINT or when stdin closes (the parent went away).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pushTlsMaterial } from '../src/emulators/shared/push-tls.js';
import { startApnsEmulator } from '../src/emulators/apns/index.js';
import { startFcmEmulator } from '../src/emulators/fcm/index.js';
import { startTwilioEmulator } from '../src/emulators/twilio/emulator.js';
import { startSendgridEmulator } from '../src/emulators/sendgrid/emulator.js';
import { DELIVERY_ID_ARG } from '../src/channels/email/sendgrid/custom-args.js';

const BENCH_APNS_TOPIC = 'dev.herald.bench';

export type EmulatedProvider = 'apns' | 'fcm' | 'twilio' | 'sendgrid';

export interface EmulatorInfo {
  pid: number;
  /** http://127.0.0.1:port of the control server. */
  control: string;
  /** PEM file of the certificate every emulator serves. */
  ca_file: string;
  latency_ms: number;
  /** PUT /v1/providers/{name} bodies reaching the emulators. */
  providers: Record<EmulatedProvider, Record<string, unknown>>;
}

export interface EmulatorStats {
  received: Record<EmulatedProvider, number>;
  total: number;
  rejected: number;
  /** Epoch ms of the last message received (its receive time), 0 before the first. */
  last: number;
  /** Epoch ms of the first message received since the reset, 0 before the first. */
  first: number;
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const latency = Number(option('latency', '20'));
  const caFile = option('ca-file', path.join(tmpdir(), `herald-bench-ca-${process.pid}.pem`));
  const tls = await pushTlsMaterial();
  // The recorders' own lists stay small: the control server keeps what the bench needs.
  const maxReceived = 1000;
  const [apns, fcm, twilio, sendgrid] = await Promise.all([
    startApnsEmulator({ host: '127.0.0.1', tls, latencyMs: latency, maxReceived }),
    startFcmEmulator({ host: '127.0.0.1', tls, latencyMs: latency, maxReceived }),
    startTwilioEmulator({ host: '127.0.0.1', tls: true, latencyMs: latency, maxReceived }),
    startSendgridEmulator({ host: '127.0.0.1', tls: true, latencyMs: latency, maxReceived }),
  ]);
  writeFileSync(caFile, tls.cert);

  const received: Record<EmulatedProvider, number> = { apns: 0, fcm: 0, twilio: 0, sendgrid: 0 };
  let keys: string[] = [];
  let times: number[] = [];
  let first = 0;
  let last = 0;
  let base = { apns: 0, fcm: 0 };
  const record = (provider: EmulatedProvider, key: string | undefined) => {
    const at = Date.now() - latency;
    received[provider]++;
    if (!first) first = at;
    if (at > last) last = at;
    if (key) {
      keys.push(key);
      times.push(at);
    }
  };
  apns.on('message', (m) => record('apns', m.apnsId));
  fcm.on('message', (m) => record('fcm', m.name));
  twilio.on('message', (m) => record('twilio', m.sid));
  sendgrid.on('message', (m) => record('sendgrid', m.customArgs[DELIVERY_ID_ARG] ?? m.messageId));

  const control = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/stats') {
      const stats: EmulatorStats = {
        received: { ...received },
        total: received.apns + received.fcm + received.twilio + received.sendgrid,
        // Twilio and SendGrid answer errors without recording; the bench only sends what they accept.
        rejected: apns.stats.rejected - base.apns + (fcm.stats.rejected - base.fcm),
        last,
        first,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats));
      return;
    }
    if (req.method === 'GET' && req.url === '/times') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // In slices: one string of 200,000 lines is fine, but there is no need to build it at once.
      const n = keys.length;
      const slice = 20_000;
      for (let i = 0; i < n; i += slice) {
        let chunk = '';
        for (let k = i; k < Math.min(n, i + slice); k++) chunk += `${keys[k]} ${times[k]}\n`;
        res.write(chunk);
      }
      res.end();
      return;
    }
    if (req.method === 'POST' && req.url === '/reset') {
      for (const p of Object.keys(received) as EmulatedProvider[]) received[p] = 0;
      keys = [];
      times = [];
      first = 0;
      last = 0;
      base = { apns: apns.stats.rejected, fcm: fcm.stats.rejected };
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  const apnsKey = apns.createProviderKey({ topics: [BENCH_APNS_TOPIC] });
  const info: EmulatorInfo = {
    pid: process.pid,
    control: controlUrl,
    ca_file: caFile,
    latency_ms: latency,
    providers: {
      apns: { ...apnsKey, topic: BENCH_APNS_TOPIC, endpoint: apns.url },
      fcm: { service_account: fcm.createServiceAccount('herald-bench'), endpoint: fcm.url },
      twilio: { account_sid: twilio.accountSid, auth_token: twilio.authToken, from: '+15005550006', endpoint: twilio.url },
      sendgrid: { api_key: sendgrid.apiKey, from: 'Herald Bench <bench@herald.invalid>', endpoint: sendgrid.url },
    },
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    control.close();
    void Promise.allSettled([apns.close(), fcm.close(), twilio.close(), sendgrid.close()]).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
