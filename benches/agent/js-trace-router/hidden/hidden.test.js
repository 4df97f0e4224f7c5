import test from 'node:test';
import assert from 'node:assert/strict';

import { createApp } from '../src/index.js';

test('hidden: unknown paths are 404 with the usual error body', () => {
  const app = createApp();
  for (const url of ['/favicon.ico', '/', '/users/1/posts', '/nope?x=1']) {
    const response = app.handle({ method: 'GET', url });
    assert.equal(response.status, 404, url);
    assert.equal(typeof response.body.error, 'string', url);
  }
});

test('hidden: app keeps working after a 404', () => {
  const app = createApp();
  app.handle({ method: 'GET', url: '/missing' });
  assert.equal(app.handle({ method: 'POST', url: '/users', body: { name: 'Kim' } }).status, 201);
  assert.deepEqual(app.handle({ method: 'GET', url: '/users/1' }).body, { id: '1', name: 'Kim' });
  assert.equal(app.handle({ method: 'GET', url: '/health' }).status, 200);
});
