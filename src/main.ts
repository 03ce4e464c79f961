import path from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { CHANNELS, type Channel } from './domain/delivery.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Queue } from './ports/queue.js';
import type { Store } from './ports/store.js';
import type { ProviderDirectory } from './ports/provider-directory.js';
import { createStore } from './store/create-store.js';
import { EmbeddedQueue } from './queue/embedded/embedded-queue.js';
import { AppService } from './services/apps.js';
import { SendService } from './services/send.js';
import { DeliverService } from './services/deliver.js';
import { SandboxDirectory } from './services/sandbox-directory.js';
import { SandboxOutbox } from './channels/sandbox/sandbox-outbox.js';
import { Worker } from './worker/worker.js';
import { buildServer } from './http/server.js';

export interface Herald {
  config: Config;
  store: Store;
  queue: Queue;
  apps: AppService;
  outbox?: SandboxOutbox;
  http?: FastifyInstance;
  worker?: Worker;
  /** Where the HTTP server listens, once started. */
  url?: string;
  /** Credentials printed at start-up (bootstrap or the generated default app). */
  credentials?: { key: string; secret: string; generated: boolean };
  stop(): Promise<void>;
}

export interface StartOptions {
  api: boolean;
  worker: boolean;
  channels?: Channel[];
  clock?: Clock;
}

/**
 * The composition root: the only place that picks implementations. `herald serve` starts API and
 * workers in one process; `herald api` / `herald worker` start one side.
 */
export async function startHerald(config: Config, logger: Logger, opts: StartOptions): Promise<Herald> {
  const clock = opts.clock ?? systemClock;
  const store = createStore(config.databaseUrl);
  await store.migrate();
  if (config.queueUrl !== 'embedded') throw new Error('HERALD_QUEUE_URL=redis://… (BullMQ) is not available in this version; use embedded');
  const queue: Queue = new EmbeddedQueue(store, clock, config.leaseMs);
  const apps = new AppService(store, clock);

  // Only the sandbox providers exist in this version, so sandbox is on unless explicitly refused.
  if (config.sandbox === false) throw new Error('HERALD_SANDBOX=0: real provider adapters are not wired in this version');
  const outbox = new SandboxOutbox(path.join(config.dataDir, 'sandbox-outbox.jsonl'));
  const providers: ProviderDirectory = new SandboxDirectory(outbox);

  const credentials = await ensureCredentials(config, apps);

  const herald: Herald = {
    config,
    store,
    queue,
    apps,
    outbox,
    credentials,
    async stop() {
      await herald.http?.close();
      await herald.worker?.stop();
      await queue.close();
      await providers.close();
      outbox.close();
      await store.close();
    },
  };

  if (opts.worker) {
    const deliver = new DeliverService(store, queue, providers, clock, { baseMs: config.retryBaseMs, maxAttempts: config.retryMaxAttempts, capMs: 3_600_000 }, logger);
    herald.worker = new Worker(queue, deliver, logger, { channels: opts.channels ?? [...CHANNELS], loopsPerChannel: 3, batchSize: 200, idlePollMs: 50 });
    herald.worker.start();
  }
  if (opts.api) {
    const send = new SendService(store, queue, providers, clock);
    herald.http = await buildServer({ config, store, queue, clock, apps, send, outbox }, logger);
    await herald.http.listen({ host: config.host, port: config.port });
    const addr = herald.http.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    herald.url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  }
  return herald;
}

/**
 * HERALD_BOOTSTRAP_KEY/SECRET when set; otherwise, on a fresh data dir, a default app whose
 * credentials are kept in the data dir (mode 0600) so `npm start` can print them on every start.
 */
async function ensureCredentials(config: Config, apps: AppService): Promise<Herald['credentials']> {
  if (config.bootstrap) {
    await apps.ensure(config.bootstrap.key, config.bootstrap.secret);
    return { ...config.bootstrap, generated: false };
  }
  const file = path.join(config.dataDir, 'credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { key: string; secret: string };
    if (await apps.authenticate(saved.key, saved.secret)) return { ...saved, generated: true };
  }
  const created = await apps.create('default');
  writeFileSync(file, JSON.stringify({ app_id: created.app_id, key: created.key, secret: created.secret }, null, 2) + '\n', { mode: 0o600 });
  return { key: created.key, secret: created.secret, generated: true };
}
