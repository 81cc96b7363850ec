import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs } from '../../src/engine/backoff.js';

test('backoff doubles from 1 s, caps at 5 min, jitters ±20 %, and honours Retry-After', () => {
  const mid = () => 0.5;
  assert.equal(backoffMs(1, undefined, mid), 1000);
  assert.equal(backoffMs(2, undefined, mid), 2000);
  assert.equal(backoffMs(4, undefined, mid), 8000);
  assert.equal(backoffMs(30, undefined, mid), 300_000);
  assert.equal(backoffMs(1, undefined, () => 0), 800);
  assert.equal(backoffMs(1, undefined, () => 1), 1200);
  assert.equal(backoffMs(1, 30, mid), 30_000);
  assert.equal(backoffMs(10, 1, mid), 300_000, 'a short Retry-After does not shorten a longer backoff');
});
