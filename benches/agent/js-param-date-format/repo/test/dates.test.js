import test from 'node:test';
import assert from 'node:assert/strict';

import { addDays, daysBetween, formatDate } from '../src/index.js';

test('formatDate is ISO by default', () => {
  assert.equal(formatDate(new Date(Date.UTC(2024, 2, 5))), '2024-03-05');
});

test('addDays and daysBetween', () => {
  const a = new Date(Date.UTC(2024, 1, 27));
  const b = addDays(a, 3);
  assert.equal(formatDate(b), '2024-03-01');
  assert.equal(daysBetween(a, b), 3);
});
