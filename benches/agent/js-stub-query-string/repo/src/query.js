// URL query strings <-> plain objects.

/**
 * Parses a query string into a plain object.
 *
 * - A leading "?" is ignored; pairs are separated by "&" and empty pairs are skipped.
 * - Keys and values are percent-decoded, and "+" means a space.
 * - A pair without "=" has the value "" ("?debug" -> { debug: "" }); only the first "="
 *   splits key from value ("a=b=c" -> { a: "b=c" }).
 * - A key that appears once maps to a string; a key that appears several times maps
 *   to an array of its values in order ("t=a&t=b" -> { t: ["a", "b"] }).
 *
 * @param {string} search
 * @returns {Record<string, string | string[]>}
 */
export function parseQuery(search) {
  throw new Error('not implemented');
}

/**
 * Inverse of parseQuery: { q: "a b", t: ["x", "y"] } -> "q=a%20b&t=x&t=y".
 * Keys keep their insertion order; undefined values are skipped.
 */
export function stringifyQuery(params) {
  const parts = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.join('&');
}
