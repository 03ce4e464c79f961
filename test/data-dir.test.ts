import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { basic, request } from './helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

/** Every file and directory under `dir` with its mode, relative names. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out[path.relative(dir, p)] = mode(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * SPEC §11, against a real `herald serve` on a data dir it creates: everything under HERALD_DATA_DIR is
 * its owner's only (the dir 0700, every file 0600: herald.db and the -wal/-shm SQLite makes, secret.key,
 * credentials.json, sandbox-outbox.jsonl), and a dir loosened by hand is tightened at the next start; the
 * generated app's secret is printed at the start that made it, and never again.
 */
describe('the data dir and the start-up secret', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'herald-datadir-'));
  const dataDir = path.join(root, 'data');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function serve(): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
    const port = await freePort();
    const child = spawnHerald(['serve'], { HERALD_DATA_DIR: dataDir, HERALD_PORT: String(port), HERALD_LOG_LEVEL: 'warn', HERALD_BOOTSTRAP_KEY: '', HERALD_BOOTSTRAP_SECRET: '', HERALD_SANDBOX: '' });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/healthz`);
    return {
      url,
      output: child.output,
      stop: async () => {
        child.kill('SIGTERM');
        await waitForExit(child);
      },
    };
  }

  it('creates the data dir and every file in it owner-only, and prints the new secret once', async () => {
    const h = await serve();
    try {
      const { key, secret } = JSON.parse(readFileSync(path.join(dataDir, 'credentials.json'), 'utf8')) as { key: string; secret: string };
      const sent = await request(h.url, basic(key, secret), 'POST', '/v1/notifications', { to: { email: 'modes@example.com' }, content: { email: { subject: 'x', text: 'y' } } });
      expect(sent.status).toBe(202);
      expect(h.output()).toMatch(new RegExp(`app secret: ${secret}`));
      expect(h.output().split(secret).length - 1).toBe(2); // the secret line and the curl line of this one banner

      expect(mode(dataDir)).toBe('700');
      const files = modes(dataDir);
      for (const f of ['herald.db', 'herald.db-wal', 'herald.db-shm', 'secret.key', 'credentials.json', 'sandbox-outbox.jsonl']) expect(files[f], f).toBe('600');
      expect(Object.entries(files).filter(([, m]) => m !== '600')).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  it('tightens a data dir loosened by hand at the next start, and prints the key but not the secret again', async () => {
    const { secret, key } = JSON.parse(readFileSync(path.join(dataDir, 'credentials.json'), 'utf8')) as { key: string; secret: string };
    mkdirSync(path.join(dataDir, 'backup'));
    writeFileSync(path.join(dataDir, 'backup', 'herald.db.bak'), 'copy');
    writeFileSync(path.join(dataDir, 'notes.txt'), 'by hand');
    for (const [p] of Object.entries(modes(dataDir))) chmodSync(path.join(dataDir, p), statSync(path.join(dataDir, p)).isDirectory() ? 0o755 : 0o644);
    chmodSync(dataDir, 0o755);
    expect(mode(path.join(dataDir, 'secret.key'))).toBe('644');

    const h = await serve();
    try {
      expect(mode(dataDir)).toBe('700');
      const files = modes(dataDir);
      expect(files['backup']).toBe('700');
      expect(Object.entries(files).filter(([f, m]) => f !== 'backup' && m !== '600')).toEqual([]);
      for (const f of ['herald.db', 'herald.db-wal', 'herald.db-shm', 'secret.key', 'credentials.json', 'sandbox-outbox.jsonl', 'notes.txt', 'backup/herald.db.bak']) expect(files[f], f).toBe('600');
      // Each one it tightened is named in the log.
      expect(h.output()).toContain('now owner-only');
      expect(h.output()).toContain('secret.key');

      expect(h.output()).toMatch(new RegExp(`app key: +${key}`));
      expect(h.output()).not.toContain(secret);
      expect(h.output()).toContain('not shown again');
      // The saved credentials still work.
      expect((await request(h.url, basic(key, secret), 'GET', '/v1/notifications')).status).toBe(200);
    } finally {
      await h.stop();
    }
  });
});
