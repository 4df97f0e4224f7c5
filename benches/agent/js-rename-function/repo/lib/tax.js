'use strict';

// Sales tax rates by region code, as fractions.
const RATES = {
  CA: 0.0725,
  NY: 0.04,
  TX: 0.0625,
  OR: 0,
};

/**
 * Tax in cents on an amount in cents for a region, rounded half up.
 * Unknown regions throw.
 */
function calcTax(amountCents, region) {
  if (!(region in RATES)) {
    throw new Error(`unknown region ${region}`);
  }
  return Math.round(amountCents * RATES[region]);
}

module.exports = { RATES, calcTax };
