import { describe } from 'vitest';
import { chromiumAvailable } from './helpers/browser.js';
import { dashboardSuite } from './dashboard.suite.js';

// Under CI=true an absent Chromium fails the run instead of skipping.
describe.skipIf(!chromiumAvailable())('dashboard in Chromium, on SQLite', () => dashboardSuite('sqlite'));
