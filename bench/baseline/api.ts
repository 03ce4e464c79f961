/**
 * The baseline's API: what a team would write instead of Herald. A Fastify process with the same
 * routes the bench's clients call, a minimal check of each notification and one BullMQ `addBulk` per
 * batch onto a single queue. No log, no preferences, no dedup, no templates.
 *
 *   BASELINE_PORT=… BASELINE_REDIS_URL=redis://127.0.0.1:6379/7 BASELINE_QUEUE_PREFIX=… node dist/bench/baseline/api.js
 *
 * Exits on SIGTERM or when stdin closes.
 */
import Fastify from 'fastify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BASELINE_QUEUE } from './shared.js';

const port = Number(process.env.BASELINE_PORT ?? 8090);
const redisUrl = process.env.BASELINE_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
const prefix = process.env.BASELINE_QUEUE_PREFIX ?? 'baseline';
const auth = process.env.BASELINE_AUTH;

interface Incoming {
  user_id?: unknown;
  template?: unknown;
  params?: unknown;
  channels?: unknown;
}

const CHANNELS = new Set(['push', 'sms', 'email']);
/** The same options for every job: gone from Redis once done, three attempts on a provider error. */
const JOB_OPTS = { removeOnComplete: true, removeOnFail: 1000, attempts: 3, backoff: { type: 'exponential', delay: 1000 } };

function valid(n: Incoming): boolean {
  return (
    typeof n.user_id === 'string' &&
    n.user_id.length > 0 &&
    typeof n.template === 'string' &&
    Array.isArray(n.channels) &&
    n.channels.length > 0 &&
    n.channels.every((c) => typeof c === 'string' && CHANNELS.has(c))
  );
}

const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(BASELINE_QUEUE, { connection, prefix });
const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });

app.addHook('onRequest', async (req, reply) => {
  if (auth && req.url.startsWith('/v1/') && req.headers.authorization !== auth) return reply.code(401).send({ error: 'unauthorized' });
});

app.get('/healthz', async () => ({ ok: true }));

app.post('/v1/notifications', async (req, reply) => {
  const n = req.body as Incoming;
  if (!n || !valid(n)) return reply.code(400).send({ error: 'invalid_notification' });
  const job = await queue.add('send', n, JOB_OPTS);
  return reply.code(202).send({ id: job.id, status: 'accepted' });
});

app.post('/v1/notifications/batch', async (req, reply) => {
  const list = (req.body as { notifications?: Incoming[] } | undefined)?.notifications;
  if (!Array.isArray(list) || list.length === 0 || list.length > 1000) return reply.code(400).send({ error: 'invalid_batch' });
  const ok = list.map(valid);
  const jobs = await queue.addBulk(list.filter((_, i) => ok[i]).map((n) => ({ name: 'send', data: n, opts: JOB_OPTS })));
  let k = 0;
  return reply.code(202).send({ results: ok.map((good) => (good ? { id: jobs[k++].id, status: 'accepted' } : { error: 'invalid_notification' })) });
});

app.get('/v1/queues', async () => {
  const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
  return { channels: [{ channel: 'all', depth: (c.waiting ?? 0) + (c.prioritized ?? 0), in_flight: c.active ?? 0, scheduled: c.delayed ?? 0, dead: c.failed ?? 0 }] };
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 3000).unref();
  await app.close().catch(() => undefined);
  await queue.close().catch(() => undefined);
  connection.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`listening ${port}\n`);
