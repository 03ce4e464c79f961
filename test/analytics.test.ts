import { describe } from 'vitest';
import { analyticsSuite } from './analytics.suite.js';
import { retentionSuite } from './retention.suite.js';

describe('analytics on SQLite', () => analyticsSuite('sqlite'));
describe('retention on SQLite', () => retentionSuite('sqlite'));
