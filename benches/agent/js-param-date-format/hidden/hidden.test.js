import test from 'node:test';
import assert from 'node:assert/strict';

import { formatDate, loadSettings, reminderText, renderInvoice } from '../src/index.js';

const d = new Date(Date.UTC(2024, 2, 5));

test('hidden: formatDate formats', () => {
  assert.equal(formatDate(d), '2024-03-05');
  assert.equal(formatDate(d, 'iso'), '2024-03-05');
  assert.equal(formatDate(d, 'us'), '03/05/2024');
  assert.equal(formatDate(d, 'eu'), '05.03.2024');
  assert.equal(formatDate(d, 'long'), '5 March 2024');
  assert.equal(formatDate(new Date(Date.UTC(2023, 11, 31)), 'long'), '31 December 2023');
  assert.throws(() => formatDate(d, 'klingon'), RangeError);
});

const invoice = {
  number: 'B-2',
  issued: new Date(Date.UTC(2024, 4, 1)),
  due: new Date(Date.UTC(2024, 4, 15)),
  items: [{ label: 'Audit', cents: 9900 }],
};

test('hidden: invoice uses settings.dateFormat', () => {
  const text = renderInvoice(invoice, loadSettings({ dateFormat: 'eu', currency: 'EUR' }));
  assert.equal(text, 'Invoice B-2\nIssued: 01.05.2024\nDue: 15.05.2024\n\nAudit: 99.00 EUR\nTotal: 99.00 EUR');
  assert.match(renderInvoice(invoice, loadSettings({ dateFormat: 'long' })), /Issued: 1 May 2024\nDue: 15 May 2024/);
});

test('hidden: reminder uses settings.dateFormat', () => {
  const us = loadSettings({ dateFormat: 'us' });
  assert.equal(
    reminderText(invoice, new Date(Date.UTC(2024, 4, 16)), us),
    'Invoice B-2 was due on 05/15/2024 and is 1 day late.',
  );
  assert.equal(reminderText(invoice, new Date(Date.UTC(2024, 4, 2)), us), 'Invoice B-2 is due on 05/15/2024.');
});
