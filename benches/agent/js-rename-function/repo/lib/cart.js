'use strict';

const { calcTax } = require('./tax');

class Cart {
  constructor(region) {
    this.region = region;
    this.lines = [];
  }

  add(sku, unitCents, quantity = 1, { taxable = true } = {}) {
    this.lines.push({ sku, unitCents, quantity, taxable });
    return this;
  }

  subtotal() {
    return this.lines.reduce((sum, l) => sum + l.unitCents * l.quantity, 0);
  }

  tax() {
    const taxable = this.lines
      .filter((l) => l.taxable)
      .reduce((sum, l) => sum + l.unitCents * l.quantity, 0);
    return calcTax(taxable, this.region);
  }

  total() {
    return this.subtotal() + this.tax();
  }
}

module.exports = { Cart };
