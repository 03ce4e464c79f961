import { describe } from 'vitest';
import { trackingSuite } from './tracking.suite.js';
import { postgresAvailable } from './helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('email tracking and unsubscribe on PostgreSQL', () => trackingSuite('postgres'));
