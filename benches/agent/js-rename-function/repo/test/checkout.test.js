'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { Cart, checkoutSummary, calcTax } = require('../lib');

test('checkout summary with taxable and untaxed lines', () => {
  const cart = new Cart('TX').add('book', 1500, 2).add('gift-card', 1000, 1, { taxable: false });
  const summary = checkoutSummary(cart);
  assert.equal(summary.subtotal, 4000);
  assert.equal(summary.tax, calcTax(3000, 'TX'));
  assert.equal(summary.shipping, 599 + calcTax(599, 'TX'));
  assert.equal(summary.total, 4000 + 188 + 599 + 37);
});

test('free shipping above the threshold', () => {
  const cart = new Cart('CA').add('lamp', 6000);
  assert.equal(checkoutSummary(cart).shipping, 0);
});
