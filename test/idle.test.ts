import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';
import { freshPostgres } from './helpers/postgres.js';

/**
 * Idle means idle (issue 13): wake-ups, not polling. A real `herald serve` with nothing to do uses
 * less than 0.5 % of a core (its own user + system CPU time from /proc, over WINDOW_S), and an idle
 * `herald worker` on PostgreSQL + Redis makes fewer than 5 Redis calls a second (seen by MONITOR on a
 * Redis of its own, so no other test's traffic is in the figure).
 */
const CLK_TCK = 100; // Linux's USER_HZ: /proc/<pid>/stat times are in 1/100 s

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * The steady state is 0.2–0.4 % of a core; now and then a major GC of the ~43 MB heap costs 100–200 ms at
 * once, which alone is most of a 30 s window's budget (150 ms). Averaged over 60 s, one such GC fits.
 */
const WINDOW_S = 60;

describe('idle processes', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it(`an idle herald serve uses under 0.5 % of a core over ${WINDOW_S} s`, { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-idle-'));
    dirs.push(dataDir);
    const port = await freePort();
    const child = spawnHerald(['serve'], { HERALD_DATA_DIR: dataDir, HERALD_PORT: String(port), HERALD_LOG_LEVEL: 'warn' });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      // Start-up is not idling: V8's memory reducer compacts the start-up heap some 25 s after start (three
      // "Mark-Compact (reduce)" passes under --trace-gc), which alone costs more than the window's budget.
      // Settled = at least 40 s after start-up (past the reducer, seen at 20–35 s) and then two 5 s steps in a
      // row under 25 ms of CPU each (0.5 %), waited for at most 75 s.
      const settleStart = Date.now();
      for (let quiet = 0, last = cpuSeconds(child.pid!); (quiet < 2 || Date.now() - settleStart < 40_000) && Date.now() - settleStart < 75_000; ) {
        await sleep(5000);
        const now = cpuSeconds(child.pid!);
        quiet = now - last < 0.025 ? quiet + 1 : 0;
        last = now;
      }
      const before = cpuSeconds(child.pid!);
      const t0 = Date.now();
      const steps: number[] = [];
      for (let i = 0, last = before; i < WINDOW_S / 5; i++) {
        await sleep(5000);
        const now = cpuSeconds(child.pid!);
        steps.push(Math.round((now - last) * 1000));
        last = now;
      }
      const used = cpuSeconds(child.pid!) - before;
      const share = used / ((Date.now() - t0) / 1000);
      console.log(`idle herald serve: ${(used * 1000).toFixed(0)} ms of CPU in ${WINDOW_S} s = ${(share * 100).toFixed(2)} % of a core (per 5 s: ${steps.join(', ')} ms)`);
      expect(share).toBeLessThan(0.005);
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  });

  it('an idle herald worker on PostgreSQL + Redis makes under 5 Redis calls a second', async () => {
    const redisPort = await freePort();
    const redis: ChildProcess = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const pg = await freshPostgres();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-idle-worker-'));
    dirs.push(dataDir);
    let worker: ReturnType<typeof spawnHerald> | undefined;
    const client = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 3 });
    try {
      for (let i = 0; ; i++) {
        try {
          await client.connect();
          break;
        } catch {
          if (i > 50) throw new Error('redis-server did not start');
          await sleep(100);
        }
      }
      worker = spawnHerald(['worker'], {
        HERALD_DATA_DIR: dataDir,
        HERALD_DATABASE_URL: pg.url,
        HERALD_QUEUE_URL: `redis://127.0.0.1:${redisPort}`,
        HERALD_SANDBOX: '0',
        HERALD_LOG_LEVEL: 'warn',
      });
      // Up once it has made its queues' connections; then let its start-up settle.
      for (let i = 0; String(await client.client('LIST')).split('\n').filter(Boolean).length < 3; i++) {
        if (i > 200) throw new Error(`herald worker did not connect to Redis:\n${worker.output()}`);
        await sleep(100);
      }
      await sleep(5000);
      // Calls are what clients send (MONITOR's lines); the commands a Lua script runs inside one call are not calls.
      const monitor = await client.monitor();
      let calls = 0;
      const byCommand = new Map<string, number>();
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === 'lua') return;
        calls++;
        byCommand.set(String(args[0]).toLowerCase(), (byCommand.get(String(args[0]).toLowerCase()) ?? 0) + 1);
      });
      const t0 = Date.now();
      await sleep(10_000);
      monitor.disconnect();
      const perSecond = calls / ((Date.now() - t0) / 1000);
      console.log(`idle herald worker: ${calls} Redis calls in 10 s = ${perSecond.toFixed(1)}/s ${JSON.stringify(Object.fromEntries(byCommand))}`);
      expect(perSecond).toBeLessThan(5);
    } finally {
      if (worker) {
        worker.kill('SIGTERM');
        await waitForExit(worker);
      }
      client.disconnect();
      redis.kill('SIGTERM');
      await pg.drop();
    }
  }, 60_000);
});
