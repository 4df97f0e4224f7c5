'use strict';

const { RATES, calcTax } = require('./tax');
const { Cart } = require('./cart');
const { shippingCost } = require('./shipping');
const { checkoutSummary } = require('./checkout');

module.exports = { RATES, calcTax, Cart, shippingCost, checkoutSummary };
