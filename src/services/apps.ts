import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../domain/ids.js';
import type { AppsRow, Store } from '../ports/store.js';
import type { Clock } from '../ports/clock.js';

export interface NewAppCredentials {
  app_id: string;
  key: string;
  secret: string;
}

/**
 * App secrets are 32 random bytes, so a fast hash is enough: there is nothing to brute-force that a
 * slow password hash would protect, and the check runs on every API call.
 */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('base64url');

function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What a secret given with an unknown key is checked against: the hash of a random secret nobody
 * knows, of the same length as every stored hash, so the unknown key costs the same hash and
 * constant-time comparison as a wrong secret (SPEC §11).
 */
const NO_APP_HASH = hashSecret(`hs_${randomBytes(32).toString('base64url')}`);

/** Keys looked up in the last 30 s, found or not; the oldest goes first when the map is full. */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

export class AppService {
  /**
   * Apps by key, and keys known to name no app: the secret is still checked on every call, only the row
   * lookup is saved, and it is saved alike for a known and an unknown key, so neither answers faster.
   */
  private cache = new Map<string, { app: AppsRow | undefined; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(name: string): Promise<NewAppCredentials> {
    const creds = { app_id: newId(), key: `hk_${randomBytes(12).toString('base64url')}`, secret: `hs_${randomBytes(32).toString('base64url')}` };
    await this.store.apps.insert({ id: creds.app_id, name, key: creds.key, secret_hash: hashSecret(creds.secret), secret_generation: 1, settings: '{}', created_at: this.clock.now() });
    this.cache.delete(creds.key);
    return creds;
  }

  /** HERALD_BOOTSTRAP_KEY/SECRET: after start-up an app with exactly these credentials exists. */
  async ensure(key: string, secret: string, name = 'bootstrap'): Promise<void> {
    await this.store.apps.ensure({ id: newId(), name, key, secret_hash: hashSecret(secret), secret_generation: 1, settings: '{}', created_at: this.clock.now() });
    this.cache.delete(key);
  }

  async authenticate(key: string, secret: string): Promise<AppsRow | undefined> {
    const app = await this.lookup(key);
    // The same work whether the key exists or not: one hash, one comparison of equal-length values.
    const matches = secretMatches(secret, app?.secret_hash ?? NO_APP_HASH);
    return matches ? app : undefined;
  }

  private async lookup(key: string): Promise<AppsRow | undefined> {
    const now = this.clock.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at <= CACHE_MS) return hit.app;
    const app = await this.store.apps.findByKey(key);
    this.cache.delete(key);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { app, at: now });
    return app;
  }
}
