import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { CHANNELS, type Channel } from './domain/delivery.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Queue } from './ports/queue.js';
import type { Store } from './ports/store.js';
import { createStore } from './store/create-store.js';
import { EmbeddedQueue } from './queue/embedded/embedded-queue.js';
import { AppService } from './services/apps.js';
import { SendService } from './services/send.js';
import { SettingsService } from './services/settings.js';
import { FanoutService } from './services/fanout.js';
import { OutcomeRecorder } from './services/outcome-recorder.js';
import { DeliverService } from './services/deliver.js';
import { ConfiguredDirectory, StaticProviderSource, StoreProviderSource, type ProviderSource } from './services/provider-directory.js';
import { SecretBox } from './services/secret-box.js';
import { LinkTokens } from './services/link-tokens.js';
import { SandboxRules } from './channels/sandbox/sandbox-rules.js';
import { SandboxFallbackSource } from './services/sandbox-fallback-source.js';
import { startSandboxEmulators, type SandboxEmulators } from './emulators/sandbox/sandbox-emulators.js';
import { SandboxOutbox } from './channels/sandbox/sandbox-outbox.js';
import { Worker } from './worker/worker.js';
import { FanoutWorker } from './worker/fanout-worker.js';
import { WebhookWorker } from './worker/webhook-worker.js';
import { WebhookDispatcher } from './services/webhook-dispatcher.js';
import { RetentionJob } from './worker/retention-job.js';
import { buildServer } from './http/server.js';
import { FailedAuthLimiter } from './http/auth-failures.js';
import { ensureCredentials, type StartCredentials } from './start-credentials.js';
import { tightenDataDir } from './data-dir.js';
import { Metrics } from './services/metrics.js';
import { startTracing } from './telemetry.js';
import { AlertService } from './services/alerts.js';
import { Scheduler } from './services/scheduler.js';
import { createOutboundGuard } from './outbound/guard.js';

export interface Herald {
  config: Config;
  store: Store;
  queue: Queue;
  apps: AppService;
  outbox?: SandboxOutbox;
  /** Sandbox mode: the local provider emulators every channel goes to. */
  emulators?: SandboxEmulators;
  providers: ConfiguredDirectory;
  http?: FastifyInstance;
  worker?: Worker;
  /** Streams topic sends to their subscribers (worker side). */
  fanout?: FanoutWorker;
  /** Sends the events table to the apps' webhooks (worker side). */
  webhooks?: WebhookWorker;
  /** Prunes events and finished deliveries past each app's retention (worker side, one process at a time). */
  retention?: RetentionJob;
  scheduler?: Scheduler;
  alerts?: AlertService;
  /** Where the HTTP server listens, once started. */
  url?: string;
  /** The app named at start-up (bootstrap or the generated default app); its secret only when made by this start. */
  credentials?: StartCredentials;
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
  const tracing = config.otlpEndpoint ? startTracing(config.otlpEndpoint) : undefined;
  const store = createStore(config.databaseUrl);
  await store.migrate();
  // Owner-only data (SPEC §11): after the database is open, so SQLite's -wal and -shm exist to be checked.
  const modes = tightenDataDir(config.dataDir, store.dialect === 'sqlite' ? config.databaseUrl.slice('sqlite:'.length) : undefined);
  for (const t of modes.tightened) logger.warn({ path: t.path, mode: t.was.toString(8) }, 'was readable by others: now owner-only');
  for (const f of modes.failed) logger.error({ path: f.path, error: f.error }, 'could not make owner-only');
  // redis://: BullMQ, plus the sweeper that re-publishes from the log what Redis lost. Imported only
  // then, so the default mode never loads BullMQ or ioredis.
  const bull = config.queueUrl === 'embedded' ? undefined : new (await import('./queue/redis/bullmq-queue.js')).BullMqQueue(store, clock, { url: config.queueUrl, prefix: config.queuePrefix, leaseMs: config.leaseMs }, logger);
  const sweeper = bull && (await import('./queue/redis/sweeper.js').then((m) => new m.Sweeper(bull, store, clock, logger, m.sweepTiming(config.leaseMs))));
  const queue: Queue = bull ?? new EmbeddedQueue(store, clock, config.leaseMs);
  const apps = new AppService(store, clock);

  // HERALD_SANDBOX=1: the emulators serve every app's every channel; 0: never. Unset: per app and channel,
  // those it has saved no provider for (SandboxFallbackSource), so the emulators run unless refused.
  const sandbox = config.sandbox !== false;
  const box = new SecretBox(config.secretKey);
  let emulators: SandboxEmulators | undefined;
  let outbox: SandboxOutbox | undefined;
  let source: ProviderSource;
  let providers: ConfiguredDirectory;
  // Every connection made for a tenant (webhooks, web push endpoints, provider endpoints, SMTP hosts) goes through it (SPEC §11).
  const outbound = createOutboundGuard({ allowPrivate: config.allowPrivateNetworks });
  // Where providers post receipts; completed below when the port is chosen at listen time (port 0).
  const adapterCtx = { publicUrl: config.publicUrl, ca: undefined as string | undefined, outbound };
  if (sandbox) {
    emulators = await startSandboxEmulators({ publicUrl: config.publicUrl });
    outbox = new SandboxOutbox(path.join(config.dataDir, 'sandbox-outbox.jsonl'));
    const emulated = new StaticProviderSource(emulators.configs);
    source = config.sandbox === true ? emulated : new SandboxFallbackSource(new StoreProviderSource(store, box), emulated);
    const webOrigin = emulators.webpush.url;
    const o = outbox;
    adapterCtx.ca = emulators.ca;
    providers = new ConfiguredDirectory(source, adapterCtx, clock, (a) => new SandboxRules(a, o, webOrigin));
  } else {
    source = new StoreProviderSource(store, box);
    providers = new ConfiguredDirectory(source, adapterCtx, clock);
  }

  const credentials = await ensureCredentials(config, apps);
  const metrics = new Metrics(queue);

  const herald: Herald = {
    config,
    store,
    queue,
    apps,
    outbox,
    emulators,
    providers,
    credentials,
    async stop() {
      await herald.http?.close();
      herald.alerts?.stop();
      await herald.scheduler?.stop();
      await herald.fanout?.stop();
      await herald.webhooks?.stop();
      await herald.retention?.stop();
      await herald.worker?.stop();
      await sweeper?.stop();
      await queue.close();
      await providers.close();
      await emulators?.close();
      outbox?.close();
      await store.close();
      await tracing?.shutdown();
    },
  };

  const settings = new SettingsService(store, clock);
  // Used by the API and by the scheduler's recurring sends.
  const send = new SendService(store, queue, providers, clock, { tokens: new LinkTokens(config.secretKey), get publicUrl() { return config.publicUrl; } });
  if (opts.worker) {
    const deliver = new DeliverService(store, queue, providers, clock, { baseMs: config.retryBaseMs, maxAttempts: config.retryMaxAttempts, capMs: 3_600_000 }, logger, metrics);
    // Outcomes committed in groups of what answered within 10 ms (or 250 of them): see outcome-recorder.ts.
    const recorder = new OutcomeRecorder(store, queue, clock, logger, { maxDelayMs: 10, maxRows: 250 }, (d, o) => {
      deliver.recorded(d, o);
      herald.webhooks?.wake(); // its events are committed: webhooks need not wait for their poll
    });
    herald.worker = new Worker(queue, deliver, recorder, clock, logger, {
      channels: opts.channels ?? [...CHANNELS],
      maxInFlight: config.inFlightPerChannel,
      claimBatch: 200,
      // Idle workers sleep until a publish wakes them or the next delivery is due; this is the safety net
      // for work other processes made (BullMQ wakes them through pub/sub; the embedded queue's other
      // processes in `serve --workers N` each take their own publishes, and find each other's retries and
      // scheduled deliveries by their due time in the log).
      idlePollMs: 5000,
      leaseMs: config.leaseMs,
    });
    herald.worker.start();
    // Pages of 1,000 subscribers: one read, one plan and one transaction each, so memory stays flat.
    const fanouts = new FanoutService(store, queue, send, clock, logger, { pageSize: 1000, leaseMs: config.leaseMs });
    herald.fanout = new FanoutWorker(fanouts, store.capCounters, clock, logger, { idlePollMs: 5000, pruneEveryMs: 600_000 });
    herald.fanout.start();
    // Its own loop, apart from the delivery workers: a slow receiver never slows sending. A claim outlives
    // one POST (10 s timeout), so two processes never send the same batch at once.
    const webhookTimeoutMs = 10_000;
    const dispatcher = new WebhookDispatcher(store, box, clock, logger, {
      timeoutMs: webhookTimeoutMs,
      leaseMs: Math.max(config.leaseMs, webhookTimeoutMs + 5_000),
      batchSize: 500,
      scanSize: 2000,
      outbound,
      retryBaseMs: config.retryBaseMs,
      retryCapMs: 300_000,
      keepAttempts: 1000,
    });
    herald.webhooks = new WebhookWorker(dispatcher, logger, { idlePollMs: 2000, concurrency: 32 });
    herald.webhooks.start();
    // Hourly, under a lease so one process prunes at a time; batches of 1,000 keep each DELETE short.
    herald.retention = new RetentionJob(store, clock, logger, { everyMs: 3_600_000, leaseMs: 300_000, batchSize: 1000, pollMs: 60_000 });
    herald.retention.start();
    sweeper?.start();
    // Sends accepted in this process start their fan-out and webhook deliveries at once.
    send.onCommitted = () => {
      herald.fanout?.wake();
      herald.webhooks?.wake();
    };
    // Every 2 s: schedules fire at minute resolution (SPEC §11), so two seconds late is on time.
    herald.scheduler = new Scheduler(store, send, clock, logger, { tickMs: 2000, leaseMs: 30_000 });
    herald.scheduler.start();
    herald.alerts = new AlertService(store, queue, (appId) => providers.health(appId), clock, logger, (key, active) => metrics.alertsActive.set({ alert: key }, active ? 1 : 0));
    herald.alerts.start();
  }
  if (opts.api) {
    // publicUrl is read at each send: with port 0 it is only known after listen (below).
    const authFailures = new FailedAuthLimiter(clock);
    herald.http = await buildServer({ config, store, queue, clock, apps, send, settings, outbox, box, providers, providerSource: source, sandbox, metrics, emulators, outbound, authFailures }, logger);
    await herald.http.listen({ host: config.host, port: config.port });
    const addr = herald.http.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    herald.url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    if (config.port === 0 && config.publicUrl.endsWith(':0')) adapterCtx.publicUrl = config.publicUrl = herald.url;
  }
  return herald;
}

/**
 * Before forking `herald serve --workers N`: migrate and make the start-up credentials once, in
 * the primary, so N processes do not race to create the default app.
 */
export async function prepareData(config: Config): Promise<Herald['credentials']> {
  const store = createStore(config.databaseUrl);
  try {
    await store.migrate();
    return await ensureCredentials(config, new AppService(store, systemClock));
  } finally {
    await store.close();
  }
}
