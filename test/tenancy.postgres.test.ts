import { describe } from 'vitest';
import { tenancySuite } from './tenancy.suite.js';
import { postgresAvailable } from './helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('tenancy on PostgreSQL', () => tenancySuite('postgres'));
