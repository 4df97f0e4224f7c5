import test from 'node:test';
import assert from 'node:assert/strict';

import { createApp } from '../src/index.js';

test('health check', () => {
  const app = createApp();
  assert.deepEqual(app.handle({ method: 'GET', url: '/health' }), { status: 200, body: { status: 'up' } });
});

test('create, list and show users', () => {
  const app = createApp();
  assert.equal(app.handle({ method: 'POST', url: '/users', body: { name: 'Ada' } }).status, 201);
  app.handle({ method: 'POST', url: '/users', body: { name: 'Lin' } });
  assert.deepEqual(app.handle({ method: 'GET', url: '/users?limit=1' }).body, [{ id: '1', name: 'Ada' }]);
  assert.deepEqual(app.handle({ method: 'GET', url: '/users/2/' }).body, { id: '2', name: 'Lin' });
});

test('unknown user id is a 404', () => {
  const app = createApp();
  assert.equal(app.handle({ method: 'GET', url: '/users/99' }).status, 404);
});
