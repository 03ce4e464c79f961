import { describe } from 'vitest';
import { hostileInputSuite } from './hostile-input.suite.js';
import { postgresAvailable } from './helpers/postgres.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('hostile input against herald serve on PostgreSQL', () => hostileInputSuite('postgres'));
