// Route patterns like "/users/:id/posts/:postId".

/** Compiles a pattern into a matcher; `:name` segments capture one path segment. */
export function compilePattern(pattern) {
  const keys = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${source}/?$`);
  return {
    pattern,
    match(path) {
      const m = regex.exec(path);
      if (!m) return null;
      const params = {};
      keys.forEach((key, i) => {
        params[key] = decodeURIComponent(m[i + 1]);
      });
      return params;
    },
  };
}
