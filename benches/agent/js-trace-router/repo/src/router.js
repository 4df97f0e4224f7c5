import { compilePattern } from './pattern.js';

export class Router {
  constructor() {
    this.routes = [];
  }

  add(method, pattern, handler) {
    this.routes.push({ method: method.toUpperCase(), matcher: compilePattern(pattern), handler });
    return this;
  }

  get(pattern, handler) {
    return this.add('GET', pattern, handler);
  }

  post(pattern, handler) {
    return this.add('POST', pattern, handler);
  }

  /** The first route matching method and path as { handler, params }, or undefined. */
  match(method, path) {
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const params = route.matcher.match(path);
      if (params) return { handler: route.handler, params };
    }
    return undefined;
  }
}
