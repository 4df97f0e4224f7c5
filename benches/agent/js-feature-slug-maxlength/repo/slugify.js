// URL slugs from titles.

/**
 * Turns text into a URL slug: accents removed, lower case, runs of anything other
 * than a-z and 0-9 replaced by one separator, no separator at either end.
 *
 * @param {string} text
 * @param {{ separator?: string }} [options]
 * @returns {string}
 */
export function slugify(text, options = {}) {
  const { separator = '-' } = options;
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.join(separator);
}

/** Appends -2, -3, ... to slug until it is not in `taken` (a Set). */
export function uniqueSlug(slug, taken) {
  if (!taken.has(slug)) return slug;
  let n = 2;
  while (taken.has(`${slug}-${n}`)) n += 1;
  return `${slug}-${n}`;
}
