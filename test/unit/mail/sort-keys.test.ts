import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseSubject, displayName, firstMailbox, sentTime, sortKeysOf } from '../../../src/mail/sort-keys.js';
import type { Envelope } from '../../../src/mail/structure.js';

const env = (over: Partial<Envelope>): Envelope => ({
  date: null,
  subject: null,
  from: null,
  sender: null,
  replyTo: null,
  to: null,
  cc: null,
  bcc: null,
  inReplyTo: null,
  messageId: null,
  ...over,
});

describe('RFC 5256 sort keys of an envelope', () => {
  it('base subject strips Re:/Fwd:/[blob] prefixes and (fwd) trailers, unwraps [Fwd: ...], lower-cases', () => {
    assert.equal(baseSubject('Re: RE: fwd: Hello'), 'hello');
    assert.equal(baseSubject('[list] Re: [other] Hello (fwd)'), 'hello');
    assert.equal(baseSubject('[Fwd: Re: Hello]'), 'hello');
    assert.equal(baseSubject('=?utf-8?q?Re=3A_Caf=C3=A9?='), 'café');
    assert.equal(baseSubject('  many    spaces  '), 'many spaces');
    assert.equal(baseSubject('[only a blob]'), '[only a blob]');
    assert.equal(baseSubject(null), '');
  });

  it('sent time ignores comments and is null when the Date does not parse', () => {
    assert.equal(sentTime('Mon, 7 Feb 1994 21:52:25 -0800 (PST)'), Date.UTC(1994, 1, 8, 5, 52, 25));
    assert.equal(sentTime('not a date'), null);
    assert.equal(sentTime(null), null);
  });

  it('first mailbox skips group markers; display name is decoded, else the address', () => {
    const group = [
      { name: null, adl: null, mailbox: 'team', host: null },
      { name: '=?utf-8?q?Z=C3=BCrich?=', adl: null, mailbox: 'Zed', host: 'example.net' },
    ];
    assert.equal(firstMailbox(group), 'zed');
    assert.equal(displayName(group), 'zürich');
    assert.equal(displayName([{ name: null, adl: null, mailbox: 'Bob', host: 'Example.org' }]), 'bob@example.org');
    assert.equal(firstMailbox(null), '');
    assert.equal(displayName([]), '');
  });

  it('sortKeysOf gathers every key, with a null sent date when there is no Date', () => {
    const a = [{ name: 'Al', adl: null, mailbox: 'al', host: 'x.org' }];
    assert.deepEqual(sortKeysOf(env({ subject: 'Re: x', from: a, to: a, cc: a })), {
      sentDate: null,
      subject: 'x',
      from: 'al',
      to: 'al',
      cc: 'al',
      displayFrom: 'al',
      displayTo: 'al',
    });
    assert.equal(sortKeysOf(null).subject, '');
  });
});
