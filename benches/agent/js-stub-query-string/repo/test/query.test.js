import test from 'node:test';
import assert from 'node:assert/strict';

import { parseQuery, stringifyQuery } from '../src/query.js';

test('parses simple pairs', () => {
  assert.deepEqual(parseQuery('?a=1&b=two'), { a: '1', b: 'two' });
});

test('decodes percent escapes and plus signs', () => {
  assert.deepEqual(parseQuery('q=caf%C3%A9+au+lait&x%20y=1'), { q: 'café au lait', 'x y': '1' });
});

test('repeated keys become arrays', () => {
  assert.deepEqual(parseQuery('tag=a&tag=b&tag=c&n=1'), { tag: ['a', 'b', 'c'], n: '1' });
});

test('flags, empty pairs and extra equals signs', () => {
  assert.deepEqual(parseQuery('debug&&expr=a=b&'), { debug: '', expr: 'a=b' });
  assert.deepEqual(parseQuery(''), {});
});

test('stringify', () => {
  assert.equal(stringifyQuery({ q: 'a b', t: ['x', 'y'], skip: undefined }), 'q=a%20b&t=x&t=y');
});
