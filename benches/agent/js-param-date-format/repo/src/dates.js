// Date helpers. Dates are JavaScript Date objects interpreted in UTC.

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** Formats a date as YYYY-MM-DD (UTC), e.g. 2024-03-05. */
export function formatDate(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** A new Date `days` days after `date`. */
export function addDays(date, days) {
  return new Date(date.getTime() + days * 86400000);
}

/** Whole days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a, b) {
  return Math.round((b.getTime() - a.getTime()) / 86400000);
}
