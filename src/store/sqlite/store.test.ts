import { describe } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storeContract } from '../store.contract.js';
import { consentStoreContract } from '../consent.contract.js';
import { createStore } from '../create-store.js';

describe('SQLite store', () => {
  storeContract(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-store-'));
    return { store: createStore(`sqlite:${path.join(dir, 'herald.db')}`), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});

describe('SQLite store: topics, fan-outs, frequency caps', () => {
  consentStoreContract(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-store-'));
    return { store: createStore(`sqlite:${path.join(dir, 'herald.db')}`), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});
