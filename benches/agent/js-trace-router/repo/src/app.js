import { health } from './handlers/health.js';
import { userHandlers } from './handlers/users.js';
import { parseUrl } from './request.js';
import { Router } from './router.js';

export function createApp(store = new Map()) {
  const users = userHandlers(store);
  const router = new Router()
    .get('/health', health)
    .get('/users', users.list)
    .get('/users/:id', users.show)
    .post('/users', users.create);

  /** Handles { method, url, body } and returns { status, body }. */
  function handle(request) {
    const { path, query } = parseUrl(request.url);
    const { handler, params } = router.match(request.method, path);
    return handler({ ...request, path, query, params });
  }

  return { handle };
}
