// Splitting request URLs.

/** { path, query } for a URL path such as "/users?limit=5". */
export function parseUrl(url) {
  const index = url.indexOf('?');
  const path = index === -1 ? url : url.slice(0, index);
  const query = {};
  if (index !== -1) {
    for (const pair of url.slice(index + 1).split('&')) {
      if (!pair) continue;
      const [key, value = ''] = pair.split('=');
      query[decodeURIComponent(key)] = decodeURIComponent(value);
    }
  }
  return { path: path || '/', query };
}
