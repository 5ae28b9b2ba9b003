import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressList } from '../../../src/mail/address-list.js';
import { buildEnvelope } from '../../../src/mail/envelope.js';

const a = (name: string | null, mailbox: string | null, host: string | null, adl: string | null = null) => ({ name, adl, mailbox, host });

test('parses display names, quoted names and bare addresses', () => {
  assert.deepEqual(parseAddressList('"Joe Q. Public" <john.q.public@example.com>, Mary Smith <mary@x.test>, jdoe@example.org'), [
    a('Joe Q. Public', 'john.q.public', 'example.com'),
    a('Mary Smith', 'mary', 'x.test'),
    a(null, 'jdoe', 'example.org'),
  ]);
  assert.deepEqual(parseAddressList('"Giant; \\"Big\\" Box" <sysservices@example.net>'), [a('Giant; "Big" Box', 'sysservices', 'example.net')]);
  assert.deepEqual(parseAddressList('John Q. Public <jqp@example.com>'), [a('John Q. Public', 'jqp', 'example.com')]);
});

test('keeps encoded-words raw in names (IMAP clients decode them)', () => {
  assert.deepEqual(parseAddressList('=?UTF-8?Q?J=C3=B6rg?= <j@example.com>'), [a('=?UTF-8?Q?J=C3=B6rg?=', 'j', 'example.com')]);
});

test('group syntax gives start and end markers', () => {
  assert.deepEqual(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test;, Undisclosed recipients:;'), [
    a(null, 'A Group', null),
    a('Ed Jones', 'c', 'a.test'),
    a(null, 'joe', 'where.test'),
    a(null, null, null),
    a(null, 'Undisclosed recipients', null),
    a(null, null, null),
  ]);
  assert.deepEqual(parseAddressList('unterminated: x@y.test'), [a(null, 'unterminated', null), a(null, 'x', 'y.test'), a(null, null, null)]);
});

test('comments are dropped, or used as the name when there is none', () => {
  assert.deepEqual(parseAddressList('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>'), [a('Pete', 'pete', 'silly.test')]);
  assert.deepEqual(parseAddressList('jdoe@example.org (John Doe)'), [a('John Doe', 'jdoe', 'example.org')]);
});

test('source routes go to adl; odd and broken forms do not throw', () => {
  assert.deepEqual(parseAddressList('<@relay.test,@other.test:user@example.com>'), [a(null, 'user', 'example.com', '@relay.test,@other.test')]);
  assert.deepEqual(parseAddressList('"john doe"@example.com'), [a(null, '"john doe"', 'example.com')]);
  assert.deepEqual(parseAddressList('user@[192.0.2.1]'), [a(null, 'user', '[192.0.2.1]')]);
  assert.deepEqual(parseAddressList('nodomain'), [a(null, 'nodomain', 'MISSING_DOMAIN')]);
  assert.deepEqual(parseAddressList(',, x@y.test ,'), [a(null, 'x', 'y.test')]);
  assert.deepEqual(parseAddressList('Name <x@y.test'), [a('Name', 'x', 'y.test')]);
  assert.equal(parseAddressList('<>'), null);
  assert.equal(parseAddressList(''), null);
  assert.equal(parseAddressList(null), null);
  for (const junk of ['<<<', '(((', '"', ':;:;', '@@@', '[', '\\', 'a:b:c;d;']) parseAddressList(junk);
});

test('envelope: Sender and Reply-To default to From; missing headers are null', () => {
  const env = buildEnvelope(new Map([['from', 'a@b.test'], ['reply-to', ''], ['subject', 'x']]));
  assert.deepEqual(env.sender, [a(null, 'a', 'b.test')]);
  assert.deepEqual(env.replyTo, [a(null, 'a', 'b.test')]);
  assert.equal(env.date, null);
  assert.equal(env.to, null);
  const env2 = buildEnvelope(new Map([['from', 'a@b.test'], ['sender', 's@b.test']]));
  assert.deepEqual(env2.sender, [a(null, 's', 'b.test')]);
});
