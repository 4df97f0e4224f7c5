'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { sortBy, topN, ranks } = require('../listkit.js');

const players = [
  { name: 'cleo', score: 30 },
  { name: 'ana', score: 12 },
  { name: 'dev', score: 100 },
  { name: 'bo', score: 21 },
];

test('sortBy sorts numbers ascending', () => {
  assert.deepEqual(sortBy(players, 'score').map((p) => p.score), [12, 21, 30, 100]);
});

test('sortBy sorts strings', () => {
  assert.deepEqual(sortBy(players, 'name').map((p) => p.name), ['ana', 'bo', 'cleo', 'dev']);
});

test('sortBy does not modify its input', () => {
  const copy = players.slice();
  sortBy(players, 'score');
  assert.deepEqual(players, copy);
});

test('topN returns the best first', () => {
  assert.deepEqual(topN(players, 'score', 2).map((p) => p.name), ['dev', 'cleo']);
});

test('ranks share places on ties', () => {
  const rows = [{ v: 5 }, { v: 9 }, { v: 5 }, { v: 1 }];
  assert.deepEqual(ranks(rows, 'v'), [2, 1, 2, 4]);
});
