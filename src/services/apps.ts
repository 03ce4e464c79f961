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

export class AppService {
  /** Apps by key; the secret is still checked on every call, only the row lookup is saved. */
  private cache = new Map<string, { app: AppsRow; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(name: string): Promise<NewAppCredentials> {
    const creds = { app_id: newId(), key: `hk_${randomBytes(12).toString('base64url')}`, secret: `hs_${randomBytes(32).toString('base64url')}` };
    await this.store.apps.insert({ id: creds.app_id, name, key: creds.key, secret_hash: hashSecret(creds.secret), settings: '{}', created_at: this.clock.now() });
    return creds;
  }

  /** HERALD_BOOTSTRAP_KEY/SECRET: after start-up an app with exactly these credentials exists. */
  async ensure(key: string, secret: string, name = 'bootstrap'): Promise<void> {
    await this.store.apps.ensure({ id: newId(), name, key, secret_hash: hashSecret(secret), settings: '{}', created_at: this.clock.now() });
    this.cache.delete(key);
  }

  async authenticate(key: string, secret: string): Promise<AppsRow | undefined> {
    const now = this.clock.now();
    let hit = this.cache.get(key);
    if (!hit || now - hit.at > 30_000) {
      const app = await this.store.apps.findByKey(key);
      if (!app) {
        // Same work as a hit, so response time does not tell whether a key exists.
        secretMatches(secret, hashSecret('x'));
        return undefined;
      }
      hit = { app, at: now };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, hit);
    }
    return secretMatches(secret, hit.app.secret_hash) ? hit.app : undefined;
  }
}
