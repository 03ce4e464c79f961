import { describe } from 'vitest';
import { apiSuite } from './api.suite.js';

describe('HTTP API on SQLite', () => apiSuite('sqlite'));
