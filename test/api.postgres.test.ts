import { describe } from 'vitest';
import { apiSuite } from './api.suite.js';
import { postgresAvailable } from './helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('HTTP API on PostgreSQL', () => apiSuite('postgres'));
