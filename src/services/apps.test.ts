import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../store/create-store.js';
import type { Store } from '../ports/store.js';
import { AppService } from './apps.js';

/**
 * SPEC §11: an unknown key costs the same work as a wrong secret. Timing it would be noise on a shared
 * machine, so this counts the work instead: the store lookups (through a real SQLite store, counted
 * on the way) and node:crypto's hash and constant-time comparison calls (spied on Node's own module,
 * the calls passing through). An early return for an unknown key, a skipped hash, or a cache that
 * remembers only found apps each makes the two columns differ.
 */
describe('AppService.authenticate: equal work for an unknown key and a wrong secret', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-apps-'));
  let store: Store & { close(): Promise<void> };
  let lookups = 0;
  let t = 1_800_000_000_000;
  let apps: AppService;
  let key: string;

  beforeAll(async () => {
    const real = createStore(`sqlite:${path.join(dir, 'herald.db')}`);
    await real.migrate();
    const counted: Store['apps'] = {
      ...real.apps,
      findByKey: (k) => {
        lookups++;
        return real.apps.findByKey(k);
      },
    };
    store = Object.assign(Object.create(real) as typeof real, { apps: counted });
    apps = new AppService(store, { now: () => t });
    ({ key } = await apps.create('shop'));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  async function work(k: string, secret: string): Promise<{ result: unknown; lookups: number; hashes: number; compares: number }> {
    const hash = vi.spyOn(crypto, 'createHash');
    const compare = vi.spyOn(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    const before = lookups;
    const result = await apps.authenticate(k, secret);
    const counts = { result, lookups: lookups - before, hashes: hash.mock.calls.length, compares: compare.mock.calls.length };
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    return counts;
  }

  it('looks up, hashes and compares alike, the first time and from the cache', async () => {
    const wrong = `hs_${'A'.repeat(43)}`;
    const unknownKey = 'hk_doesnotexist00000';
    const first = { unknown: await work(unknownKey, wrong), wrongSecret: await work(key, wrong) };
    expect(first.unknown.result).toBeUndefined();
    expect(first.wrongSecret.result).toBeUndefined();
    expect(first.unknown).toEqual({ ...first.wrongSecret, result: undefined });
    expect(first.unknown).toMatchObject({ lookups: 1, hashes: 1, compares: 1 });

    // Within 30 s both come from the cache: neither key reaches the database.
    t += 10_000;
    const cached = { unknown: await work(unknownKey, wrong), wrongSecret: await work(key, wrong) };
    expect(cached.unknown).toEqual(cached.wrongSecret);
    expect(cached.unknown).toMatchObject({ lookups: 0, hashes: 1, compares: 1 });

    // After 30 s both are looked up again.
    t += 30_001;
    const expired = { unknown: await work(unknownKey, wrong), wrongSecret: await work(key, wrong) };
    expect(expired.unknown).toEqual(expired.wrongSecret);
    expect(expired.unknown.lookups).toBe(1);
  });

  it('still authenticates the right secret, and a key created after it was looked up', async () => {
    const made = await apps.create('later');
    expect((await apps.authenticate(made.key, made.secret))?.name).toBe('later');
    // An empty or odd-length secret is compared the same way and refused.
    for (const s of ['', 'x', made.secret + 'x', made.secret.slice(0, -1)]) expect(await apps.authenticate(made.key, s)).toBeUndefined();
    // Bootstrap credentials that change take effect at once in this process.
    await apps.ensure('boot-key', 'first-secret-value');
    expect(await apps.authenticate('boot-key', 'first-secret-value')).toBeDefined();
    await apps.ensure('boot-key', 'second-secret-value');
    expect(await apps.authenticate('boot-key', 'first-secret-value')).toBeUndefined();
    expect(await apps.authenticate('boot-key', 'second-secret-value')).toBeDefined();
  });
});
