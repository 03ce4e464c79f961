import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { basic, eventually, request } from './helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';

const childrenOf = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter(Boolean);

describe('herald serve --workers N', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-cluster-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs N processes on one port, replaces one that dies, and delivers everything once', async () => {
    const port = await freePort();
    const child = spawnHerald(['serve', '--workers', '2'], { HERALD_DATA_DIR: dataDir, HERALD_PORT: String(port), HERALD_LOG_LEVEL: 'error', HERALD_BOOTSTRAP_KEY: 'ck', HERALD_BOOTSTRAP_SECRET: 'cs' });
    const url = `http://127.0.0.1:${port}`;
    const auth = basic('ck', 'cs');
    try {
      await waitForHttp(`${url}/healthz`);
      await eventually(async () => childrenOf(child.pid!).length === 2);
      await eventually(async () => child.output().includes('with 2 processes'));

      const send = async (n: number, tag: string) => {
        const r = await request(url, auth, 'POST', '/v1/notifications/batch', {
          notifications: Array.from({ length: n }, (_, i) => ({ event_id: `${tag}-${i}`, to: { email: `c${i}@example.com` }, content: { email: { subject: tag, text: 'x' } } })),
        });
        return r.body.results.map((x: any) => x.id as string);
      };
      const allSent = (ids: string[]) =>
        eventually(async () => {
          for (const id of ids) if ((await request(url, auth, 'GET', `/v1/notifications/${id}`)).body.status !== 'completed') return false;
          return true;
        }, 30_000);

      const first = await send(100, 'a');
      await allSent(first);

      const [victim] = childrenOf(child.pid!);
      process.kill(victim, 'SIGKILL');
      await eventually(async () => {
        const now = childrenOf(child.pid!);
        return now.length === 2 && !now.includes(victim);
      }, 20_000);
      await waitForHttp(`${url}/healthz`);
      const second = await send(100, 'b');
      await allSent(second);

      // Each delivery was recorded sent exactly once.
      const statuses = await Promise.all([...first, ...second].map(async (id) => (await request(url, auth, 'GET', `/v1/notifications/${id}`)).body.deliveries[0]));
      expect(statuses.filter((d) => !(d.status === 'sent' && d.attempts === 1)).map((d) => [d.status, d.attempts, d.events.map((e: any) => e.type + ':' + JSON.stringify(e.data))])).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  });
});
