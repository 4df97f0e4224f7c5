import test from 'node:test';
import assert from 'node:assert/strict';

import { slugify } from '../slugify.js';

const title = 'The Quick Brown Fox Jumps Over the Lazy Dog';

test('hidden: cuts at a word boundary', () => {
  assert.equal(slugify(title, { maxLength: 20 }), 'the-quick-brown-fox');
  assert.equal(slugify(title, { maxLength: 19 }), 'the-quick-brown-fox');
  assert.equal(slugify(title, { maxLength: 18 }), 'the-quick-brown');
  assert.equal(slugify(title, { maxLength: 3 }), 'the');
});

test('hidden: long first word is cut hard', () => {
  assert.equal(slugify('Supercalifragilistic expialidocious', { maxLength: 5 }), 'super');
});

test('hidden: no limit, big limit and separators', () => {
  assert.equal(slugify(title), 'the-quick-brown-fox-jumps-over-the-lazy-dog');
  assert.equal(slugify('a b', { maxLength: 100 }), 'a-b');
  assert.equal(slugify(title, { maxLength: 12, separator: '__' }), 'the__quick');
});
