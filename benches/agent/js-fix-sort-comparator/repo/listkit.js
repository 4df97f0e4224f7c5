'use strict';

/**
 * Returns a new array with the items sorted by item[key].
 * Numbers compare numerically, strings with localeCompare. The sort is stable.
 * @param {object[]} items
 * @param {string} key
 * @param {{descending?: boolean}} [options]
 */
function sortBy(items, key, options = {}) {
  const direction = options.descending ? -1 : 1;
  return items.slice().sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (typeof x === 'string' && typeof y === 'string') {
      return direction * x.localeCompare(y);
    }
    return direction * (x > y);
  });
}

/** The n items with the largest item[key], largest first. */
function topN(items, key, n) {
  return sortBy(items, key, { descending: true }).slice(0, n);
}

/** 1-based rank of every item by item[key], highest first; equal values share a rank. */
function ranks(items, key) {
  const sorted = sortBy(items, key, { descending: true });
  const result = new Map();
  let rank = 0;
  let previous;
  sorted.forEach((item, index) => {
    if (index === 0 || item[key] !== previous) {
      rank = index + 1;
      previous = item[key];
    }
    result.set(item, rank);
  });
  return items.map((item) => result.get(item));
}

module.exports = { sortBy, topN, ranks };
