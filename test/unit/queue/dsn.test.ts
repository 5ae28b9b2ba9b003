import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/mail/parse-message.js';
import type { MimePart } from '../../../src/mail/structure.js';
import { buildDsn, notifyAllows, type DsnInput } from '../../../src/queue/dsn.js';

const original = Buffer.from(
  'From: Ivanov <ivanov@example.org>\r\nTo: kozlov@example.com\r\nSubject: Hello\r\nMessage-ID: <m1@example.org>\r\n\r\nBody line one.\r\nBody line two.\r\n',
);

function input(over: Partial<DsnInput> = {}): DsnInput {
  return {
    reportingMta: 'mx.example.org',
    originalSender: 'ivanov@example.org',
    envid: 'ENV-42',
    arrivalDate: new Date('2025-01-01T10:00:00Z'),
    recipients: [
      {
        address: 'nobody@example.com',
        orcpt: 'rfc822;Nobody@Example.com',
        action: 'failed',
        status: '5.1.1',
        remoteMta: 'mx.example.com',
        diagnostic: '550 5.1.1 <nobody@example.com>: no such user',
        diagnosticIsSmtp: true,
        lastAttempt: new Date('2025-01-01T10:00:05Z'),
      },
    ],
    original,
    ret: null,
    date: new Date('2025-01-01T10:00:06Z'),
    ...over,
  };
}

function section(raw: Buffer, part: MimePart): string {
  return raw.subarray(part.bodyStart, part.bodyEnd).toString('utf8');
}

test('a failure DSN is multipart/report with text, delivery-status and the full original', () => {
  const { message } = buildDsn(input());
  const s = parseMessage(message);
  assert.equal(s.root.type, 'multipart');
  assert.equal(s.root.subtype, 'report');
  assert.equal(s.root.params['report-type'], 'delivery-status');
  const [text, status, orig] = s.root.parts!;
  assert.equal(`${text!.type}/${text!.subtype}`, 'text/plain');
  assert.match(section(message, text!), /550 5\.1\.1 <nobody@example\.com>: no such user/);
  assert.equal(`${status!.type}/${status!.subtype}`, 'message/delivery-status');
  assert.equal(`${orig!.type}/${orig!.subtype}`, 'message/rfc822');
  assert.equal(orig!.message?.envelope.subject, 'Hello');
  assert.match(section(message, orig!), /Body line two\./);
  assert.equal(s.envelope.subject, 'Undelivered Mail Returned to Sender');
  assert.equal(s.envelope.to?.[0]?.mailbox, 'ivanov');
  assert.equal(s.envelope.from?.[0]?.mailbox, 'MAILER-DAEMON');
});

test('the delivery-status part carries the RFC 3464 per-message and per-recipient fields', () => {
  const { message } = buildDsn(input());
  const status = section(message, parseMessage(message).root.parts![1]!);
  const [perMessage, perRecipient] = status.split(/\r\n\r\n/);
  assert.match(perMessage!, /^Reporting-MTA: dns; mx\.example\.org$/m);
  assert.match(perMessage!, /^Original-Envelope-Id: ENV-42$/m);
  assert.match(perMessage!, /^Arrival-Date: Wed, 01 Jan 2025 10:00:00 \+0000$/m);
  assert.match(perRecipient!, /^Original-Recipient: rfc822; Nobody@Example\.com$/m);
  assert.match(perRecipient!, /^Final-Recipient: rfc822; nobody@example\.com$/m);
  assert.match(perRecipient!, /^Action: failed$/m);
  assert.match(perRecipient!, /^Status: 5\.1\.1$/m);
  assert.match(perRecipient!, /^Remote-MTA: dns; mx\.example\.com$/m);
  assert.match(perRecipient!, /^Diagnostic-Code: smtp; 550 5\.1\.1 <nobody@example\.com>: no such user$/m);
});

test('RET=HDRS returns only the original header as text/rfc822-headers', () => {
  const { message } = buildDsn(input({ ret: 'HDRS' }));
  const orig = parseMessage(message).root.parts![2]!;
  assert.equal(`${orig.type}/${orig.subtype}`, 'text/rfc822-headers');
  const body = section(message, orig);
  assert.match(body, /Subject: Hello/);
  assert.doesNotMatch(body, /Body line/);
});

test('a delay report says delayed and when we give up; a local diagnosis is not an smtp one', () => {
  const { message } = buildDsn(
    input({
      recipients: [
        {
          address: 'k@example.com', orcpt: null, action: 'delayed', status: '4.4.1', remoteMta: null,
          diagnostic: 'connection refused', diagnosticIsSmtp: false, willRetryUntil: new Date('2025-01-06T10:00:00Z'),
        },
      ],
    }),
  );
  const s = parseMessage(message);
  assert.equal(s.envelope.subject, 'Delayed Mail (still being retried)');
  const status = section(message, s.root.parts![1]!);
  assert.match(status, /^Action: delayed$/m);
  assert.match(status, /^Will-Retry-Until: Mon, 06 Jan 2025 10:00:00 \+0000$/m);
  assert.match(status, /^Diagnostic-Code: X-Pochta; connection refused$/m);
  assert.doesNotMatch(status, /Original-Recipient/);
});

test('a DSN is marked auto-replied and flags 8-bit content of the original', () => {
  const eight = buildDsn(input({ original: Buffer.from('Subject: Привет\r\n\r\nтекст\r\n') }));
  assert.equal(eight.eightBit, true);
  assert.match(eight.message.toString(), /^Auto-Submitted: auto-replied\r$/m);
  assert.equal(buildDsn(input()).eightBit, false);
});

test('NOTIFY: absent means FAILURE,DELAY; NEVER suppresses everything; SUCCESS only when asked', () => {
  assert.equal(notifyAllows(null, 'failure'), true);
  assert.equal(notifyAllows(null, 'delay'), true);
  assert.equal(notifyAllows(null, 'success'), false);
  assert.equal(notifyAllows(['NEVER'], 'failure'), false);
  assert.equal(notifyAllows(['SUCCESS'], 'success'), true);
  assert.equal(notifyAllows(['SUCCESS'], 'failure'), false);
  assert.equal(notifyAllows(['FAILURE'], 'delay'), false);
});
