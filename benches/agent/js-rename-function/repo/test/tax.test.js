'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { calcTax } = require('../lib');

test('calcTax applies the regional rate', () => {
  assert.equal(calcTax(10000, 'CA'), 725);
  assert.equal(calcTax(999, 'NY'), 40);
  assert.equal(calcTax(5000, 'OR'), 0);
});

test('calcTax rejects unknown regions', () => {
  assert.throws(() => calcTax(100, 'ZZ'), /unknown region/);
});
