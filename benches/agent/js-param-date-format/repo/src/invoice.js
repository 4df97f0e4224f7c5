import { addDays, formatDate } from './dates.js';
import { formatMoney } from './money.js';
import { defaultSettings } from './settings.js';

/** The due date of an invoice: explicit `due`, or `issued` plus the payment terms. */
export function dueDate(invoice, settings = defaultSettings) {
  return invoice.due ?? addDays(invoice.issued, settings.paymentTermsDays);
}

/** Plain-text invoice. */
export function renderInvoice(invoice, settings = defaultSettings) {
  const lines = [
    `Invoice ${invoice.number}`,
    `Issued: ${formatDate(invoice.issued)}`,
    `Due: ${formatDate(dueDate(invoice, settings))}`,
    '',
  ];
  let total = 0;
  for (const item of invoice.items) {
    total += item.cents;
    lines.push(`${item.label}: ${formatMoney(item.cents, settings.currency)}`);
  }
  lines.push(`Total: ${formatMoney(total, settings.currency)}`);
  return lines.join('\n');
}
