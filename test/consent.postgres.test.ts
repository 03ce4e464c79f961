import { describe } from 'vitest';
import { consentSuite } from './consent.suite.js';
import { postgresAvailable } from './helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('topics, settings, frequency caps and the API rate limit on PostgreSQL', () => consentSuite('postgres'));
