import { badRequest, created, notFound, ok } from '../responses.js';

/** In-memory user store; `store` is a Map from id to user. */
export function userHandlers(store) {
  return {
    list(req) {
      const limit = Number(req.query.limit ?? 50);
      return ok([...store.values()].slice(0, limit));
    },
    show(req) {
      const user = store.get(req.params.id);
      return user ? ok(user) : notFound(`no user ${req.params.id}`);
    },
    create(req) {
      if (!req.body || !req.body.name) return badRequest('name is required');
      const id = String(store.size + 1);
      const user = { id, name: req.body.name };
      store.set(id, user);
      return created(user);
    },
  };
}
