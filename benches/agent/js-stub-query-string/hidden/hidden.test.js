import test from 'node:test';
import assert from 'node:assert/strict';

import { parseQuery, stringifyQuery } from '../src/query.js';

test('hidden: round trips', () => {
  const cases = [
    { a: '1' },
    { q: 'x & y = z?', list: ['1', '2', '3'], empty: '' },
    { 'ключ': 'значение', emoji: '🙂' },
  ];
  for (const params of cases) {
    assert.deepEqual(parseQuery(stringifyQuery(params)), params);
  }
});

test('hidden: question mark only and plus in key', () => {
  assert.deepEqual(parseQuery('?'), {});
  assert.deepEqual(parseQuery('a+b=c+d'), { 'a b': 'c d' });
  assert.deepEqual(parseQuery('x=1&x=&x=3'), { x: ['1', '', '3'] });
});

test('hidden: escaped separators are decoded after splitting', () => {
  assert.deepEqual(parseQuery('a=%26&b=%3D&c%3Dd=e'), { a: '&', b: '=', 'c=d': 'e' });
});
