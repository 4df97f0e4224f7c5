import test from 'node:test';
import assert from 'node:assert/strict';

import { loadSettings, reminderText, renderInvoice } from '../src/index.js';

const invoice = {
  number: 'A-17',
  issued: new Date(Date.UTC(2024, 0, 10)),
  items: [
    { label: 'Design', cents: 120000 },
    { label: 'Hosting', cents: 4550 },
  ],
};

test('renders an invoice with default settings', () => {
  assert.equal(
    renderInvoice(invoice),
    'Invoice A-17\nIssued: 2024-01-10\nDue: 2024-02-09\n\nDesign: 1200.00 USD\nHosting: 45.50 USD\nTotal: 1245.50 USD',
  );
});

test('reminder for a late invoice', () => {
  const settings = loadSettings({ paymentTermsDays: 14 });
  const today = new Date(Date.UTC(2024, 0, 27));
  assert.equal(reminderText(invoice, today, settings), 'Invoice A-17 was due on 2024-01-24 and is 3 days late.');
});
