'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { computeTax } = require('../lib');

test('computeTax applies the regional rate', () => {
  assert.equal(computeTax(10000, 'CA'), 725);
  assert.equal(computeTax(999, 'NY'), 40);
  assert.equal(computeTax(5000, 'OR'), 0);
});

test('computeTax rejects unknown regions', () => {
  assert.throws(() => computeTax(100, 'ZZ'), /unknown region/);
});
