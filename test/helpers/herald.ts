import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startHerald, type Herald } from '../../src/main.js';
import { freshPostgres } from './postgres.js';
import type { Clock } from '../../src/ports/clock.js';

/**
 * A clock that runs `factor` times faster than real time from now on: tests of minute-resolution
 * schedules see several minutes pass in a few seconds, with real timers and sockets underneath.
 */
export function fastClock(factor: number): Clock {
  const start = Date.now();
  return { now: () => start + (Date.now() - start) * factor };
}

export type DbKind = 'sqlite' | 'postgres';

export interface TestHerald {
  herald: Herald;
  url: string;
  key: string;
  secret: string;
  dataDir: string;
  /** fetch against the server with the app's Basic credentials and JSON. */
  api(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Another app's credentials on the same server. */
  newApp(name: string): Promise<{ key: string; secret: string }>;
  stop(): Promise<void>;
}

export function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

export async function request(url: string, auth: string | undefined, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + route, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: auth } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as any, headers: res.headers };
}

/**
 * An in-process Herald (API + workers) on a fresh SQLite file or a fresh PostgreSQL database; `clock`
 * replaces the system clock everywhere time decides something.
 */
export async function startTestHerald(db: DbKind, env: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<TestHerald> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-test-'));
  const pgdb = db === 'postgres' ? await freshPostgres() : undefined;
  const config = loadConfig(
    {
      HERALD_DATA_DIR: dataDir,
      HERALD_PORT: '0',
      HERALD_BOOTSTRAP_KEY: 'test-key',
      HERALD_BOOTSTRAP_SECRET: 'test-secret',
      HERALD_RETRY_BASE_MS: '20',
      HERALD_RETRY_MAX_ATTEMPTS: '3',
      HERALD_LOG_LEVEL: 'silent',
      ...(pgdb ? { HERALD_DATABASE_URL: pgdb.url } : {}),
      ...env,
    },
    { readDotEnv: false },
  );
  const herald = await startHerald(config, createLogger(config.logLevel), { api: true, worker: true, clock: opts.clock });
  const url = herald.url!;
  const auth = basic('test-key', 'test-secret');
  return {
    herald,
    url,
    key: 'test-key',
    secret: 'test-secret',
    dataDir,
    api: (method, route, body, headers) => request(url, auth, method, route, body, headers),
    newApp: async (name) => {
      const c = await herald.apps.create(name);
      return { key: c.key, secret: c.secret };
    },
    async stop() {
      await herald.stop();
      await pgdb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Poll until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
