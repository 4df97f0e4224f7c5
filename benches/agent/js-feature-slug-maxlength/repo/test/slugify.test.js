import test from 'node:test';
import assert from 'node:assert/strict';

import { slugify, uniqueSlug } from '../slugify.js';

test('basic slug', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
});

test('accents and custom separator', () => {
  assert.equal(slugify('Crème  Brûlée', { separator: '_' }), 'creme_brulee');
});

test('unique slugs', () => {
  assert.equal(uniqueSlug('post', new Set(['post', 'post-2'])), 'post-3');
});
