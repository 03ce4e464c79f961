import { describe } from 'vitest';
import { hostileInputSuite } from './hostile-input.suite.js';

describe('hostile input against herald serve on SQLite', () => hostileInputSuite('sqlite'));
