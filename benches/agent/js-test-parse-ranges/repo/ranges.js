'use strict';

/**
 * Parses a page selection like "1-3, 7, 10-12" into a sorted array of unique page
 * numbers: [1, 2, 3, 7, 10, 11, 12]. Ranges are inclusive. Whitespace is allowed
 * around numbers and commas. Throws a RangeError for a malformed part, a page below 1,
 * or a range whose end is before its start ("5-3").
 */
function parseRanges(text) {
  const pages = new Set();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) {
      throw new RangeError(`bad page range: "${part}"`);
    }
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (start < 1 || end < start) {
      throw new RangeError(`bad page range: "${part}"`);
    }
    for (let page = start; page <= end; page++) {
      pages.add(page);
    }
  }
  return [...pages].sort((a, b) => a - b);
}

/** Inverse of parseRanges: [1, 2, 3, 7] -> "1-3,7". */
function formatRanges(pages) {
  const sorted = [...new Set(pages)].sort((a, b) => a - b);
  const parts = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

module.exports = { parseRanges, formatRanges };
