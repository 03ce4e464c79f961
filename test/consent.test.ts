import { describe } from 'vitest';
import { consentSuite } from './consent.suite.js';

describe('topics, settings, frequency caps and the API rate limit on SQLite', () => consentSuite('sqlite'));
