import { describe } from 'vitest';
import { storeContract } from '../store.contract.js';
import { consentStoreContract } from '../consent.contract.js';
import { createStore } from '../create-store.js';
import { freshPostgres, postgresAvailable } from '../../../test/helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('PostgreSQL store', () => {
  storeContract(async () => {
    const db = await freshPostgres();
    return { store: createStore(db.url), cleanup: db.drop };
  });
});

describe.skipIf(!available)('PostgreSQL store: topics, fan-outs, frequency caps', () => {
  consentStoreContract(async () => {
    const db = await freshPostgres();
    return { store: createStore(db.url), cleanup: db.drop };
  });
});
