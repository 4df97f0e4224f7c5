'use strict';

const { calcTax } = require('./tax');

const FLAT_RATE_CENTS = 599;
const FREE_ABOVE_CENTS = 5000;

/** Shipping cost in cents (free above a threshold); some regions tax shipping. */
function shippingCost(subtotalCents, region) {
  const base = subtotalCents >= FREE_ABOVE_CENTS ? 0 : FLAT_RATE_CENTS;
  const taxesShipping = region === 'NY' || region === 'TX';
  return base + (taxesShipping ? calcTax(base, region) : 0);
}

module.exports = { shippingCost, FLAT_RATE_CENTS, FREE_ABOVE_CENTS };
