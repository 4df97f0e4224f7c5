'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { formatRanges } = require('../ranges.js');

test('formatRanges collapses runs', () => {
  assert.equal(formatRanges([1, 2, 3, 7, 10, 11]), '1-3,7,10-11');
});

test('formatRanges sorts and removes duplicates', () => {
  assert.equal(formatRanges([5, 4, 4, 9]), '4-5,9');
  assert.equal(formatRanges([]), '');
});
