import { describe } from 'vitest';
import { trackingSuite } from './tracking.suite.js';

describe('email tracking and unsubscribe on SQLite', () => trackingSuite('sqlite'));
