'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { sortBy, topN, ranks } = require('../listkit.js');

test('hidden: numbers both directions, many items', () => {
  const values = [17, 3, 99, -4, 0, 42, 8, 8, 15, 23, 4, 16, 1, 2, 77, 5, 61, 11, 9, 30];
  const rows = values.map((v) => ({ v }));
  const asc = values.slice().sort((a, b) => a - b);
  assert.deepEqual(sortBy(rows, 'v').map((r) => r.v), asc);
  assert.deepEqual(sortBy(rows, 'v', { descending: true }).map((r) => r.v), asc.slice().reverse());
});

test('hidden: stable for equal keys', () => {
  const rows = [{ k: 2, id: 'a' }, { k: 1, id: 'b' }, { k: 2, id: 'c' }, { k: 1, id: 'd' }, { k: 0, id: 'e' }];
  assert.deepEqual(sortBy(rows, 'k').map((r) => r.id), ['e', 'b', 'd', 'a', 'c']);
  assert.deepEqual(sortBy(rows, 'k', { descending: true }).map((r) => r.id), ['a', 'c', 'b', 'd', 'e']);
});

test('hidden: topN and ranks on unsorted data', () => {
  const rows = [3, 50, 7, 50, 1, 9].map((v) => ({ v }));
  assert.deepEqual(topN(rows, 'v', 3).map((r) => r.v), [50, 50, 9]);
  assert.deepEqual(ranks(rows, 'v'), [5, 1, 4, 1, 6, 3]);
});
