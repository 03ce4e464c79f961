import { describe } from 'vitest';
import { tenancySuite } from './tenancy.suite.js';

describe('tenancy on SQLite', () => tenancySuite('sqlite'));
