import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import type { AppService } from './services/apps.js';
import { writePrivateFile } from './data-dir.js';

/** The app named at start-up, for the banner. */
export interface StartCredentials {
  key: string;
  /**
   * Only when the secret was made by this start: it is printed once, when it is created (SPEC §11).
   * Never for HERALD_BOOTSTRAP_SECRET, which the operator chose and has.
   */
  secret?: string;
  /** The default app generated into the data dir (not HERALD_BOOTSTRAP_*). */
  generated: boolean;
  /** Where the generated app's key and secret are kept, readable by the owner only. */
  file?: string;
}

/**
 * HERALD_BOOTSTRAP_KEY/SECRET when set; otherwise, on a fresh data dir, a default app whose key and
 * secret are kept in the data dir (`credentials.json`, mode 0600) for `herald send` and for the
 * operator to look up. A saved pair that no longer authenticates (the database was replaced) is
 * replaced by a new app.
 */
export async function ensureCredentials(config: Config, apps: AppService): Promise<StartCredentials> {
  if (config.bootstrap) {
    await apps.ensure(config.bootstrap.key, config.bootstrap.secret);
    return { key: config.bootstrap.key, generated: false };
  }
  const file = path.join(config.dataDir, 'credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { key: string; secret: string };
    if (await apps.authenticate(saved.key, saved.secret)) return { key: saved.key, generated: true, file };
  }
  const created = await apps.create('default');
  writePrivateFile(file, JSON.stringify({ app_id: created.app_id, key: created.key, secret: created.secret }, null, 2) + '\n');
  return { key: created.key, secret: created.secret, generated: true, file };
}
