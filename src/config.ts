import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import dotenv from 'dotenv';

/** Everything Herald reads from the environment, read once, validated here and nowhere else. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  queueUrl: string;
  /** Redis key prefix (HERALD_QUEUE_PREFIX), so several installations can share one Redis. */
  queuePrefix: string;
  publicUrl: string;
  secretKey: Buffer;
  bootstrap?: { key: string; secret: string };
  /** true: every channel uses the built-in emulators; false: never; undefined: decided at start (no provider configured → sandbox). */
  sandbox: boolean | undefined;
  retryBaseMs: number;
  retryMaxAttempts: number;
  leaseMs: number;
  /** HERALD_IN_FLIGHT: provider requests a worker keeps in flight per channel (the adapters' pools share them out). */
  inFlightPerChannel: number;
  logLevel: string;
  metricsToken?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: when set, traces go there over OTLP/HTTP; when unset tracing costs nothing. */
  otlpEndpoint?: string;
  /**
   * HERALD_ALLOW_PRIVATE_NETWORKS=1 (alias HERALD_WEBHOOK_ALLOW_PRIVATE=1): requests made for a tenant (webhooks,
   * web push endpoints, provider endpoint overrides) may reach loopback and private addresses (SPEC §11).
   */
  allowPrivateNetworks: boolean;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A 0/1 switch; unset or empty is off. */
function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(`${name} must be 1 or 0`);
}

/** The master key: from HERALD_SECRET_KEY, else generated once into the data dir so restarts keep it. */
function loadSecretKey(env: Env, dataDir: string): Buffer {
  const given = env.HERALD_SECRET_KEY;
  if (given) {
    if (given.length < 32) throw new ConfigError('HERALD_SECRET_KEY must be at least 32 characters');
    return Buffer.from(given, 'utf8');
  }
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  // Owner-only, like everything in the data dir (SPEC §11; data-dir.ts tightens older ones at start).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

export function loadConfig(env: Env = process.env, opts: { readDotEnv?: boolean } = {}): Config {
  if (opts.readDotEnv !== false && env === process.env && existsSync('.env')) dotenv.config({ quiet: true });
  const host = env.HERALD_HOST || '127.0.0.1';
  const port = int(env, 'HERALD_PORT', 8080, 0, 65535);
  const dataDir = path.resolve(env.HERALD_DATA_DIR || './data');
  const databaseUrl = env.HERALD_DATABASE_URL || `sqlite:${path.join(dataDir, 'herald.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('HERALD_DATABASE_URL must be sqlite:PATH or postgres://…');
  }
  const queueUrl = env.HERALD_QUEUE_URL || 'embedded';
  if (queueUrl !== 'embedded' && !/^rediss?:\/\//.test(queueUrl)) {
    throw new ConfigError('HERALD_QUEUE_URL must be "embedded" or redis://…');
  }
  const queuePrefix = env.HERALD_QUEUE_PREFIX || 'herald';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(queuePrefix)) throw new ConfigError('HERALD_QUEUE_PREFIX must be 1–64 of A–Z a–z 0–9 _ . -');
  const allowPrivate = flag(env, 'HERALD_ALLOW_PRIVATE_NETWORKS') || flag(env, 'HERALD_WEBHOOK_ALLOW_PRIVATE');
  const sandboxRaw = env.HERALD_SANDBOX;
  if (sandboxRaw !== undefined && sandboxRaw !== '' && sandboxRaw !== '0' && sandboxRaw !== '1') {
    throw new ConfigError('HERALD_SANDBOX must be 1 or 0');
  }
  const bk = env.HERALD_BOOTSTRAP_KEY;
  const bs = env.HERALD_BOOTSTRAP_SECRET;
  if ((bk && !bs) || (!bk && bs)) throw new ConfigError('set both HERALD_BOOTSTRAP_KEY and HERALD_BOOTSTRAP_SECRET, or neither');
  if (bk && bk.includes(':')) throw new ConfigError('HERALD_BOOTSTRAP_KEY must not contain ":" (it is the Basic auth user name)');
  const publicUrl = (env.HERALD_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError('HERALD_PUBLIC_URL must be an absolute URL');
  }
  return {
    host,
    port,
    dataDir,
    databaseUrl,
    queueUrl,
    queuePrefix,
    publicUrl,
    secretKey: loadSecretKey(env, dataDir),
    bootstrap: bk && bs ? { key: bk, secret: bs } : undefined,
    sandbox: sandboxRaw === '1' ? true : sandboxRaw === '0' ? false : undefined,
    retryBaseMs: int(env, 'HERALD_RETRY_BASE_MS', 1000, 1, 3_600_000),
    retryMaxAttempts: int(env, 'HERALD_RETRY_MAX_ATTEMPTS', 8, 1, 100),
    leaseMs: int(env, 'HERALD_LEASE_MS', 30_000, 100, 3_600_000),
    inFlightPerChannel: int(env, 'HERALD_IN_FLIGHT', 512, 1, 10_000),
    logLevel: env.HERALD_LOG_LEVEL || 'info',
    metricsToken: env.HERALD_METRICS_TOKEN || undefined,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT ? env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '') : undefined,
    allowPrivateNetworks: allowPrivate,
  };
}
