import { describe } from 'vitest';
import { chromiumAvailable } from './helpers/browser.js';
import { postgresAvailable } from './helpers/postgres.js';
import { dashboardSuite } from './dashboard.suite.js';

// Under CI=true an absent PostgreSQL or Chromium fails the run instead of skipping.
const available = (await postgresAvailable()) && chromiumAvailable();
describe.skipIf(!available)('dashboard in Chromium, on PostgreSQL', () => dashboardSuite('postgres'));
