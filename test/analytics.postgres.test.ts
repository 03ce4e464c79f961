import { describe } from 'vitest';
import { analyticsSuite } from './analytics.suite.js';
import { retentionSuite } from './retention.suite.js';
import { postgresAvailable } from './helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('analytics on PostgreSQL', () => analyticsSuite('postgres'));
describe.skipIf(!available)('retention on PostgreSQL', () => retentionSuite('postgres'));
