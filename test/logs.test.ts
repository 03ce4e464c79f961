import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { basic, eventually, request } from './helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';

/** The process's own JSON log lines: ids on every line about a delivery, no secrets or message bodies at info. */
describe('logs', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-logs-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('carry notification and delivery ids, and neither secrets nor bodies', async () => {
    const port = await freePort();
    const child = spawnHerald(['serve'], { HERALD_DATA_DIR: dataDir, HERALD_PORT: String(port), HERALD_LOG_LEVEL: 'info', HERALD_BOOTSTRAP_KEY: 'lk', HERALD_BOOTSTRAP_SECRET: 'log-secret-value', HERALD_RETRY_BASE_MS: '10', HERALD_RETRY_MAX_ATTEMPTS: '2' });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/healthz`);
      const body = 'BODY-TEXT-THAT-MUST-NOT-BE-LOGGED';
      const r = await request(url, basic('lk', 'log-secret-value'), 'POST', '/v1/notifications', { to: { email: 'down@example.com' }, content: { email: { subject: 'SUBJECT-SECRET', text: body } } });
      const n = await eventually(async () => {
        const x = await request(url, basic('lk', 'log-secret-value'), 'GET', `/v1/notifications/${r.body.id}`);
        return x.body.deliveries[0].status === 'failed' ? x.body : undefined;
      });
      await eventually(async () => child.output().split('provider call failed').length > 2);
      const lines = child
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const about = lines.filter((l) => l.msg === 'provider call failed');
      expect(about.length).toBeGreaterThanOrEqual(2);
      for (const l of about) expect(l).toMatchObject({ notification_id: n.id, delivery_id: n.deliveries[0].id, provider: expect.any(String) });
      // The start-up banner prints the credentials on purpose; the log lines never do.
      const all = lines.map((l) => JSON.stringify(l)).join('\n');
      expect(all).not.toContain(body);
      expect(all).not.toContain('SUBJECT-SECRET');
      expect(all).not.toContain('log-secret-value');
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  });
});
