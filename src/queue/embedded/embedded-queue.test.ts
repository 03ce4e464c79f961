import { describe } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { queueContract } from '../queue.contract.js';
import { EmbeddedQueue } from './embedded-queue.js';
import { createStore } from '../../store/create-store.js';
import { systemClock } from '../../ports/clock.js';

describe('embedded queue (SQLite file)', () => {
  queueContract(async (leaseMs) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-queue-'));
    const store = createStore(`sqlite:${path.join(dir, 'herald.db')}`);
    await store.migrate();
    return {
      queue: new EmbeddedQueue(store, systemClock, leaseMs),
      store,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
