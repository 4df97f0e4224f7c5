import { daysBetween, formatDate } from './dates.js';
import { dueDate } from './invoice.js';
import { defaultSettings } from './settings.js';

/** Payment reminder text for an invoice, as seen on `today`. */
export function reminderText(invoice, today, settings = defaultSettings) {
  const due = dueDate(invoice, settings);
  const late = daysBetween(due, today);
  if (late <= 0) {
    return `Invoice ${invoice.number} is due on ${formatDate(due)}.`;
  }
  const days = late === 1 ? 'day' : 'days';
  return `Invoice ${invoice.number} was due on ${formatDate(due)} and is ${late} ${days} late.`;
}
