import { pathToFileURL } from 'node:url';
import nodemailer from 'nodemailer';
import { Pool } from 'undici';
import type { ChannelAdapter, OutboundMessage } from '../src/ports/channel-adapter.js';
import { createTwilioAdapter } from '../src/channels/sms/twilio/adapter.js';
import { createVonageAdapter } from '../src/channels/sms/vonage/adapter.js';
import { createSendgridAdapter } from '../src/channels/email/sendgrid/adapter.js';
import { createSmtpAdapter } from '../src/channels/email/smtp/adapter.js';
import { startTwilioEmulator } from '../src/emulators/twilio/emulator.js';
import { startVonageEmulator } from '../src/emulators/vonage/emulator.js';
import { startSendgridEmulator } from '../src/emulators/sendgrid/emulator.js';
import { startSmtpEmulator } from '../src/emulators/smtp/emulator.js';

/**
 * Deliveries per second through each SMS/email adapter against its local emulator, next to the
 * same emulator driven by a bare client loop on the same transport (same undici pool size or
 * nodemailer pool, same keep-alive, a pre-built request, no mapping). The ratio is what the
 * adapter's own work (building the request, reading the answer, classifying errors) costs.
 * Emulator and client share the process and its cores, so absolute figures are modest; the ratio
 * is the figure to watch.
 */
export interface MessagingBenchRow {
  provider: string;
  adapterPerSec: number;
  rawPerSec: number;
  ratio: number;
}

export interface MessagingBenchOptions {
  count: number;
  onProgress?: (line: string) => void;
  /** Requests in flight (default 64). */
  concurrency?: number;
}

// Same pool sizes for adapter and raw loops.
const HTTP_CONNECTIONS = 16;
const SMTP_CONNECTIONS = 8;

interface Subject {
  provider: string;
  adapter: ChannelAdapter;
  message: (i: number) => OutboundMessage;
  raw: () => Promise<void>;
  close(): Promise<void>;
}

export async function benchMessagingProviders(opts: MessagingBenchOptions): Promise<MessagingBenchRow[]> {
  const concurrency = opts.concurrency ?? 64;
  const rows: MessagingBenchRow[] = [];
  for (const start of [twilio, vonage, sendgrid, smtp]) {
    const s = await start();
    try {
      const raw = () => s.raw();
      const viaAdapter = (i: number) => s.adapter.send(s.message(i)).then(() => undefined);
      // Warm both paths (connections, JIT), then alternate two rounds of each and keep the best,
      // so neither side pays for running first or for a GC pause that happens to land on it.
      const warm = Math.min(500, opts.count);
      await loop(warm, concurrency, raw);
      await loop(warm, concurrency, viaAdapter);
      let rawPerSec = 0;
      let adapterPerSec = 0;
      for (let round = 0; round < 2; round++) {
        rawPerSec = Math.max(rawPerSec, await rate(opts.count, concurrency, raw));
        adapterPerSec = Math.max(adapterPerSec, await rate(opts.count, concurrency, viaAdapter));
      }
      const row = { provider: s.provider, adapterPerSec, rawPerSec, ratio: adapterPerSec / rawPerSec };
      rows.push(row);
      opts.onProgress?.(formatRow(row));
    } finally {
      await s.close();
    }
  }
  return rows;
}

async function rate(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await loop(count, concurrency, op);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return count / seconds;
}

/** `concurrency` workers pulling indexes until `count` operations are done. */
async function loop(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function sms(i: number): OutboundMessage {
  return {
    deliveryId: `bench-${i}`,
    channel: 'sms',
    to: `+1415${String(5_000_000 + i).slice(-7)}`,
    sms: { text: 'Your Herald code is 123456' },
    priority: 'high',
  };
}

function email(i: number): OutboundMessage {
  return {
    deliveryId: `bench-${i}`,
    channel: 'email',
    to: `user${i}@example.com`,
    email: {
      subject: 'Your order shipped',
      text: 'Your order 8812 ships Friday.',
      html: '<p>Your order <b>8812</b> ships Friday.</p>',
      headers: { 'List-Unsubscribe': '<https://herald.example/u/tok>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    },
    priority: 'normal',
  };
}

interface RawRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP provider: the raw loop posts one pre-built request on a pool the adapter's size. */
function httpSubject(
  provider: string,
  emu: { url: string; close(): Promise<void> },
  adapter: ChannelAdapter,
  message: (i: number) => OutboundMessage,
  req: RawRequest,
): Subject {
  const pool = new Pool(emu.url, { connections: HTTP_CONNECTIONS, keepAliveTimeout: 30_000 });
  return {
    provider,
    adapter,
    message,
    raw: async () => {
      const res = await pool.request({ method: 'POST', ...req });
      await res.body.text();
      if (res.statusCode >= 300) throw new Error(`raw ${provider}: HTTP ${res.statusCode}`);
    },
    close: async () => {
      await Promise.all([adapter.close(), pool.close()]);
      await emu.close();
    },
  };
}

async function twilio(): Promise<Subject> {
  const emu = await startTwilioEmulator({ maxReceived: 1000 });
  const from = '+15005550006';
  const adapter = createTwilioAdapter({
    account_sid: emu.accountSid,
    auth_token: emu.authToken,
    from,
    endpoint: emu.url,
    connections: HTTP_CONNECTIONS,
  });
  return httpSubject('twilio', emu, adapter, sms, {
    path: `/2010-04-01/Accounts/${emu.accountSid}/Messages.json`,
    headers: {
      authorization: `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ To: '+14155550100', From: from, Body: 'Your Herald code is 123456' }).toString(),
  });
}

async function vonage(): Promise<Subject> {
  const emu = await startVonageEmulator({ maxReceived: 1000 });
  const adapter = createVonageAdapter({
    api_key: emu.apiKey,
    api_secret: emu.apiSecret,
    from: 'Herald',
    endpoint: emu.url,
    connections: HTTP_CONNECTIONS,
  });
  const fields = { api_key: emu.apiKey, api_secret: emu.apiSecret, from: 'Herald', to: '14155550100' };
  return httpSubject('vonage', emu, adapter, sms, {
    path: '/sms/json',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, text: 'Your Herald code is 123456', type: 'text' }).toString(),
  });
}

async function sendgrid(): Promise<Subject> {
  const emu = await startSendgridEmulator({ maxReceived: 1000 });
  const adapter = createSendgridAdapter({
    api_key: emu.apiKey,
    from: 'Herald <notify@herald.example>',
    endpoint: emu.url,
    connections: HTTP_CONNECTIONS,
  });
  const m = email(0).email!;
  return httpSubject('sendgrid', emu, adapter, email, {
    path: '/v3/mail/send',
    headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      personalizations: [{ to: [{ email: 'user0@example.com' }] }],
      from: { email: 'notify@herald.example', name: 'Herald' },
      subject: m.subject,
      content: [
        { type: 'text/plain', value: m.text },
        { type: 'text/html', value: m.html },
      ],
      headers: m.headers,
    }),
  });
}

async function smtp(): Promise<Subject> {
  const emu = await startSmtpEmulator({ maxReceived: 1000 });
  const from = 'Herald <notify@herald.example>';
  const adapter = createSmtpAdapter({ host: emu.host, port: emu.port, from, maxConnections: SMTP_CONNECTIONS });
  // The transport options the adapter sets (an explicit `secure: false` alone moves nodemailer's
  // throughput by about a fifth here), so the loops differ only by the adapter's own work.
  const transport = nodemailer.createTransport(
    {
      pool: true,
      host: emu.host,
      port: emu.port,
      secure: false,
      maxConnections: SMTP_CONNECTIONS,
      maxMessages: 1000,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 30_000,
    },
    { from },
  );
  const m = email(0).email!;
  return {
    provider: 'smtp',
    adapter,
    message: email,
    raw: async () => {
      await transport.sendMail({ to: 'user0@example.com', subject: m.subject, text: m.text, html: m.html, headers: m.headers });
    },
    close: async () => {
      transport.close();
      await adapter.close();
      await emu.close();
    },
  };
}

function formatRow(r: MessagingBenchRow): string {
  const n = (v: number) => v.toFixed(0).padStart(9);
  return `${r.provider.padEnd(9)} ${n(r.adapterPerSec)} ${n(r.rawPerSec)} ${(r.ratio * 100).toFixed(0).padStart(5)}%`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--count');
  const count = i > 0 ? Number(process.argv[i + 1]) : 3000;
  console.log(`messaging providers, ${count} deliveries each, 64 in flight`);
  console.log('provider  adapter/s     raw/s  ratio');
  benchMessagingProviders({ count, onProgress: (line) => console.log(line) }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
