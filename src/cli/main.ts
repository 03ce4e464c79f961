import { Command } from 'commander';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import cluster from 'node:cluster';
import { prepareData, startHerald, type StartOptions } from '../main.js';
import type { StartCredentials } from '../start-credentials.js';
import { createStore } from '../store/create-store.js';
import { AppService } from '../services/apps.js';
import { systemClock } from '../ports/clock.js';
import { CHANNELS, type Channel } from '../domain/delivery.js';

const program = new Command().name('herald').description('Self-hostable notification service');

function fail(err: unknown): never {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err));
  process.exit(1);
}

async function run(opts: StartOptions, banner: boolean): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const herald = await startHerald(config, logger, opts);
  if (banner) {
    const lines = [`Herald is running at ${herald.url ?? '(no API in this process)'}`];
    if (herald.url) lines.push(`  API docs:  ${herald.url}/docs`);
    lines.push(`  database:  ${config.databaseUrl.replace(/\/\/[^@]*@/, '//…@')}   queue: ${config.queueUrl.replace(/\/\/[^@]*@/, '//…@')}   sandbox: ${!herald.emulators ? 'off' : config.sandbox ? 'on for every app (local emulators)' : 'per app: channels with no provider saved (local emulators)'}`);
    if (herald.credentials) {
      lines.push(...credentialLines(herald.credentials));
      if (herald.url) {
        // The secret is printed only when it was just made (SPEC §11); otherwise the command names where it is.
        const secret = herald.credentials.secret ?? '$SECRET';
        lines.push('', 'Try it:', `  curl -u ${herald.credentials.key}:${secret} -X POST ${herald.url}/v1/notifications \\`);
        lines.push(`    -H 'content-type: application/json' -d '{"to":{"email":"ada@example.com"},"content":{"email":{"subject":"Hello","text":"It works"}}}'`);
      }
    }
    console.log(lines.join('\n'));
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await herald.stop().catch((err) => logger.error({ err }, 'error while stopping'));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The banner's lines about the start-up app. Its secret appears once, at the start that made it; later
 * starts say where it is kept, and a HERALD_BOOTSTRAP_SECRET (the operator's own) is never printed.
 */
function credentialLines(c: StartCredentials): string[] {
  if (!c.generated) return [`  app key:    ${c.key} (HERALD_BOOTSTRAP_KEY; its secret is HERALD_BOOTSTRAP_SECRET)`];
  if (c.secret) {
    return [
      `  app key:    ${c.key}`,
      `  app secret: ${c.secret}`,
      `  (shown this once; kept in ${c.file}, readable by you only; set HERALD_BOOTSTRAP_KEY/SECRET to choose your own)`,
    ];
  }
  return [`  app key:    ${c.key}`, `  app secret: not shown again; it is in ${c.file} (readable by you only)`];
}

/**
 * `herald serve --workers N`: one Node thread is not the ceiling. The primary migrates and makes
 * the credentials once, then forks N processes that each run API and workers on the shared port;
 * a process that dies is replaced. Claims and leases in the log keep them from sending twice.
 */
async function runCluster(n: number): Promise<void> {
  const config = loadConfig();
  const creds = await prepareData(config);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  let stopping = false;
  let ready = 0;
  cluster.on('listening', () => {
    if (++ready === n) {
      console.log(`Herald is running at ${url} with ${n} processes`);
      if (creds) console.log(credentialLines(creds).join('\n'));
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`process ${worker.process.pid} ended (${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (let i = 0; i < n; i++) cluster.fork();
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 10_000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function parseChannels(v: string): Channel[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of list) if (!(CHANNELS as readonly string[]).includes(c)) throw new Error(`unknown channel "${c}" (push, sms, email)`);
  return list as Channel[];
}

program
  .command('serve')
  .description('API, workers and scheduler in one process (or in N processes sharing the port)')
  .option('--workers <n>', 'processes to run (node:cluster); each serves the API and delivers', '1')
  .action((o: { workers: string }) => {
    const n = Number(o.workers);
    if (!Number.isInteger(n) || n < 1 || n > 64) fail(new Error('--workers takes a whole number from 1 to 64'));
    if (n === 1 || cluster.isWorker) return run({ api: true, worker: true }, n === 1).catch(fail);
    return runCluster(n).catch(fail);
  });

program
  .command('api')
  .description('the HTTP API only')
  .action(() => run({ api: true, worker: false }, true).catch(fail));

program
  .command('worker')
  .description('delivery workers only')
  .option('--channels <list>', 'comma-separated channels to work on', 'push,sms,email')
  .action((o: { channels: string }) => run({ api: false, worker: true, channels: parseChannels(o.channels) }, false).catch(fail));

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    try {
      const config = loadConfig();
      const store = createStore(config.databaseUrl);
      await store.migrate();
      await store.close();
      console.log('database is up to date');
    } catch (err) {
      fail(err);
    }
  });

const apps = program.command('apps').description('manage apps');
apps
  .command('create <name>')
  .description('create an app and print its key and secret')
  .option('--json', 'print {"app_id","key","secret"}')
  .action(async (name: string, o: { json?: boolean }) => {
    try {
      const config = loadConfig();
      const store = createStore(config.databaseUrl);
      await store.migrate();
      const creds = await new AppService(store, systemClock).create(name);
      await store.close();
      console.log(o.json ? JSON.stringify(creds) : `app_id: ${creds.app_id}\nkey: ${creds.key}\nsecret: ${creds.secret}`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('send')
  .description('send one notification through a running Herald (smoke test)')
  .option('--url <url>', 'Herald base URL (default http://HERALD_HOST:HERALD_PORT)')
  .option('--key <key>', 'app key (default: the generated default app)')
  .option('--secret <secret>', 'app secret')
  .option('--user <id>', 'user id')
  .option('--email <address>', 'send to this email address')
  .option('--phone <e164>', 'send to this phone number')
  .option('--template <key>', 'template key')
  .option('--params <json>', 'template params as JSON', '{}')
  .option('--title <text>', 'push title / email subject', 'Hello from Herald')
  .option('--body <text>', 'message text', 'This is a test.')
  .option('--channels <list>', 'comma-separated channels')
  .action(async (o: Record<string, string | undefined>) => {
    try {
      const config = loadConfig();
      let { key, secret } = o;
      const saved = path.join(config.dataDir, 'credentials.json');
      if ((!key || !secret) && config.bootstrap) ({ key, secret } = config.bootstrap);
      if ((!key || !secret) && existsSync(saved)) ({ key, secret } = JSON.parse(readFileSync(saved, 'utf8')));
      if (!key || !secret) throw new Error('give --key and --secret');
      const body: Record<string, unknown> = {};
      if (o.user) body.user_id = o.user;
      else if (o.email || o.phone) body.to = { ...(o.email ? { email: o.email } : {}), ...(o.phone ? { phone: o.phone } : {}) };
      else throw new Error('give --user, --email or --phone');
      if (o.template) Object.assign(body, { template: o.template, params: JSON.parse(o.params ?? '{}') });
      else body.content = { push: { title: o.title, body: o.body }, sms: { text: o.body }, email: { subject: o.title, text: o.body } };
      if (o.channels) body.channels = parseChannels(o.channels);
      else if (!o.user) body.channels = [...(o.email ? ['email'] : []), ...(o.phone ? ['sms'] : [])];
      const url = (o.url ?? `http://${config.host}:${config.port}`).replace(/\/$/, '');
      const res = await fetch(`${url}/v1/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` },
        body: JSON.stringify(body),
      });
      console.log(JSON.stringify(await res.json(), null, 2));
      if (!res.ok) process.exit(1);
    } catch (err) {
      fail(err);
    }
  });

program.parseAsync().catch(fail);
