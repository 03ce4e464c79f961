import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { basic, request } from './helpers/herald.js';
import { freePort, HERALD_BIN, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';

const run = promisify(execFile);

describe('herald CLI', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, HERALD_DATA_DIR: dataDir, HERALD_LOG_LEVEL: 'error' };
  const herald = (...args: string[]) => run(process.execPath, [HERALD_BIN, ...args], { env });

  it('migrates, creates apps, serves and sends', async () => {
    expect((await herald('migrate')).stdout).toContain('up to date');
    const plain = (await herald('apps', 'create', 'shop')).stdout;
    expect(plain).toMatch(/^key: hk_\S+$/m);
    expect(plain).toMatch(/^secret: hs_\S+$/m);
    const json = JSON.parse((await herald('apps', 'create', 'billing', '--json')).stdout);
    expect(Object.keys(json).sort()).toEqual(['app_id', 'key', 'secret']);

    const port = await freePort();
    const child = spawnHerald(['serve'], { HERALD_DATA_DIR: dataDir, HERALD_PORT: String(port), HERALD_LOG_LEVEL: 'error' });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      // The banner names the address and the generated default app's credentials.
      expect(child.output()).toContain(`http://127.0.0.1:${port}`);
      expect(child.output()).toMatch(/app key: +hk_/);
      // An app made by the CLI works against the server.
      const me = await request(`http://127.0.0.1:${port}`, basic(json.key, json.secret), 'GET', '/v1/notifications');
      expect(me.status).toBe(200);
      const sent = await run(process.execPath, [HERALD_BIN, 'send', '--url', `http://127.0.0.1:${port}`, '--key', json.key, '--secret', json.secret, '--email', 'cli@example.com'], { env });
      const body = JSON.parse(sent.stdout);
      expect(body.status).toBe('accepted');
      expect(body.deliveries[0]).toMatchObject({ channel: 'email', to: 'cli@example.com' });
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  });

  it('refuses bad configuration with a clear message', async () => {
    await expect(run(process.execPath, [HERALD_BIN, 'migrate'], { env: { ...env, HERALD_DATABASE_URL: 'mysql://x' } })).rejects.toMatchObject({
      stderr: expect.stringContaining('HERALD_DATABASE_URL'),
    });
  });
});
