export { addDays, daysBetween, formatDate } from './dates.js';
export { dueDate, renderInvoice } from './invoice.js';
export { formatMoney } from './money.js';
export { reminderText } from './reminder.js';
export { defaultSettings, loadSettings } from './settings.js';
