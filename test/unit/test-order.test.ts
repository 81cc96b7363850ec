// npm test's order of the test files: timed files longest first, untimed ones placed as if long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { longestFirst } from '../../scripts/test-order.js';

test('timed files run longest first; a file not timed yet goes before the timed short ones, real-server files first', () => {
  const files = ['test/unit/a.test.ts', 'test/integration/login.test.ts', 'test/integration/new.test.ts', 'test/unit/new.test.ts', 'test/integration/quick.test.ts'];
  const known = { 'test/unit/a.test.ts': 300, 'test/integration/login.test.ts': 100_000, 'test/integration/quick.test.ts': 20_000 };
  assert.deepEqual(longestFirst(files, known, () => 8_000), [
    'test/integration/login.test.ts', 'test/integration/new.test.ts', 'test/integration/quick.test.ts', 'test/unit/new.test.ts', 'test/unit/a.test.ts',
  ]);
});
