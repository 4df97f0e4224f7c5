'use strict';

const { shippingCost } = require('./shipping');

/** Everything the checkout page shows, in cents. */
function checkoutSummary(cart) {
  const subtotal = cart.subtotal();
  const tax = cart.tax();
  const shipping = shippingCost(subtotal, cart.region);
  return { subtotal, tax, shipping, total: subtotal + tax + shipping };
}

module.exports = { checkoutSummary };
