/**
 * The baseline's worker: a BullMQ Worker on the one queue (concurrency 200) that turns each job into a
 * message and calls the provider through Herald's own adapters (src/channels/…, compiled into dist).
 * Recipients come from bench/baseline/shared.ts (the bench's users, in memory: no database), content
 * is the bench template rendered by string interpolation. No log, no preferences, no dedup, no
 * receipts; a provider error fails the job and BullMQ retries it (3 attempts).
 *
 *   BASELINE_REDIS_URL=… BASELINE_QUEUE_PREFIX=… BASELINE_PROVIDERS='{"apns":{…},"fcm":{…},"twilio":{…},"sendgrid":{…}}' \
 *   BASELINE_CONCURRENCY=200 NODE_EXTRA_CA_CERTS=emulators-ca.pem node dist/bench/baseline/worker.js
 *
 * Exits on SIGTERM or when stdin closes.
 */
import { randomUUID } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createApnsAdapter, type ApnsConfig } from '../../src/channels/push/apns/adapter.js';
import { createFcmAdapter, type FcmConfig } from '../../src/channels/push/fcm/adapter.js';
import { createTwilioAdapter, type TwilioConfig } from '../../src/channels/sms/twilio/adapter.js';
import { createSendgridAdapter, type SendgridConfig } from '../../src/channels/email/sendgrid/adapter.js';
import type { ChannelAdapter, OutboundMessage } from '../../src/ports/channel-adapter.js';
import { BASELINE_QUEUE, benchUserById, type BenchNotification } from './shared.js';

const redisUrl = process.env.BASELINE_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
const prefix = process.env.BASELINE_QUEUE_PREFIX ?? 'baseline';
const concurrency = Number(process.env.BASELINE_CONCURRENCY ?? 200);
const configs = JSON.parse(process.env.BASELINE_PROVIDERS ?? '{}') as {
  apns: ApnsConfig;
  fcm: FcmConfig;
  twilio: TwilioConfig;
  sendgrid: SendgridConfig;
};

// The emulators' certificate comes in through NODE_EXTRA_CA_CERTS, as it does for Herald.
const adapters: Record<'apns' | 'fcm' | 'twilio' | 'sendgrid', ChannelAdapter> = {
  apns: createApnsAdapter(configs.apns),
  fcm: createFcmAdapter(configs.fcm),
  twilio: createTwilioAdapter(configs.twilio),
  sendgrid: createSendgridAdapter(configs.sendgrid),
};

async function deliver(job: Job<BenchNotification>): Promise<string | undefined> {
  const n = job.data;
  const user = benchUserById(n.user_id);
  if (!user) throw new Error(`unknown user ${n.user_id}`);
  const text = `Message ${n.params?.n ?? ''}`;
  let last: string | undefined;
  for (const channel of n.channels) {
    const base = { deliveryId: randomUUID(), channel, priority: 'normal' as const };
    let msg: OutboundMessage;
    let adapter: ChannelAdapter;
    if (channel === 'push') {
      msg = { ...base, platform: user.platform, to: user.token, push: { title: `Hello ${user.name}`, body: text } };
      adapter = user.platform === 'ios' ? adapters.apns : adapters.fcm;
    } else if (channel === 'sms') {
      msg = { ...base, to: user.phone, sms: { text } };
      adapter = adapters.twilio;
    } else {
      msg = { ...base, to: user.email, email: { subject: text, html: `<p>Hi ${user.name}</p>`, text: `Hi ${user.name}` } };
      adapter = adapters.sendgrid;
    }
    last = (await adapter.send(msg)).providerMessageId;
  }
  return last;
}

const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const worker = new Worker<BenchNotification>(BASELINE_QUEUE, deliver, { connection, prefix, concurrency });
worker.on('error', (err) => console.error('baseline worker error', err.message));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 5000).unref();
  await worker.close(true).catch(() => undefined);
  await Promise.allSettled(Object.values(adapters).map((a) => a.close()));
  connection.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();
process.stdout.write('ready\n');
