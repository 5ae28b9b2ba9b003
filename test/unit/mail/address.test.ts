import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatMailbox,
  isValidDomain,
  localPartRoutingTrick,
  normalizeAddress,
  normalizeDomain,
  parseMailbox,
  splitPlusAddress,
} from '../../../src/mail/address.js';

function ok(input: string, smtputf8 = false): { local: string; domain: string } {
  const r = parseMailbox(input, { smtputf8 });
  assert.ok(r.ok, `${input} should be valid: ${r.ok ? '' : r.error}`);
  return r.mailbox;
}

test('accepts valid RFC 5321 mailboxes', () => {
  for (const a of [
    'user@example.com',
    'first.last@sub.example.co.uk',
    "o'hara+tag=x/y{z}~!#$%&*^`|@example.org",
    'a@b',
    'user@[192.0.2.1]',
    'user@[IPv6:2001:db8::1]',
    '"john doe"@example.com',
    '"a\\"b"@example.com',
    '"john..doe"@example.com',
    'x@xn--bcher-kva.example',
    '1@2-3.example',
  ]) {
    ok(a);
  }
  assert.deepEqual(ok('"a\\"b"@example.com'), {
    local: 'a"b',
    domain: 'example.com',
    isAddressLiteral: false,
    quoted: true,
    sourceRoute: [],
  });
});

test('rejects invalid mailboxes', () => {
  for (const a of [
    '',
    'user',
    '@example.com',
    'user@',
    'user@@example.com',
    'john..doe@example.com',
    '.user@example.com',
    'user.@example.com',
    'us er@example.com',
    'user@exa mple.com',
    'user@-example.com',
    'user@example-.com',
    'user@example..com',
    'user@example.com.',
    'user@ex_ample.com',
    'user@[300.1.1.1]',
    'user@[IPv6:zz::1]',
    'user@[tag:whatever]',
    'a"b@example.com',
    '"unterminated@example.com',
    'user\r\n@example.com',
    'user@example.com\0',
    'jörg@example.com',
    'user@bücher.example',
  ]) {
    assert.equal(parseMailbox(a).ok, false, `${JSON.stringify(a)} should be invalid`);
  }
});

test('enforces the RFC 5321 §4.5.3.1 length limits', () => {
  ok(`${'a'.repeat(64)}@example.com`);
  assert.equal(parseMailbox(`${'a'.repeat(65)}@example.com`).ok, false);
  assert.equal(parseMailbox(`u@${'a'.repeat(64)}.com`).ok, false, 'label over 63 octets');
  const label = 'a'.repeat(63);
  const domain245 = [label, label, label, 'b'.repeat(53)].join('.');
  assert.equal(domain245.length, 245);
  ok(`${'u'.repeat(8)}@${domain245}`); // 254 octets
  assert.equal(parseMailbox(`${'u'.repeat(9)}@${domain245}`).ok, false, '255 octets');
  const long = `${label}.${label}.${label}.${label}.com`; // 259 octets
  assert.equal(parseMailbox(`u@${long}`).ok, false);
  // Octets, not characters: 22 three-byte characters are 66 octets.
  assert.equal(parseMailbox(`${'日'.repeat(22)}@example.com`, { smtputf8: true }).ok, false);
  ok(`${'日'.repeat(21)}@example.com`, true);
});

test('accepts UTF-8 local parts and domains only with SMTPUTF8', () => {
  assert.equal(parseMailbox('jörg@bücher.example').ok, false);
  assert.deepEqual(ok('jörg@bücher.example', true), {
    local: 'jörg',
    domain: 'bücher.example',
    isAddressLiteral: false,
    quoted: false,
    sourceRoute: [],
  });
  ok('"δοκιμή test"@παράδειγμα.δοκιμή', true);
});

test('accepts a source route and ignores it', () => {
  const r = parseMailbox('@relay.example,@[192.0.2.1]:user@example.com');
  assert.ok(r.ok);
  assert.equal(r.mailbox.local, 'user');
  assert.equal(r.mailbox.domain, 'example.com');
  assert.deepEqual(r.mailbox.sourceRoute, ['relay.example', '[192.0.2.1]']);
  assert.equal(parseMailbox('@:user@example.com').ok, false);
  assert.equal(parseMailbox('@bad..route:user@example.com').ok, false);
});

test('canonicalises IPv6 address literals', () => {
  assert.equal(ok('u@[ipv6:2001:DB8::1]').domain, '[IPv6:2001:db8::1]');
});

test('normalizes addresses: case, IDN to A-label, trailing dot, quotes', () => {
  assert.equal(normalizeAddress('John.Doe@Example.COM'), 'john.doe@example.com');
  assert.equal(normalizeAddress('user@Bücher.Example'), 'user@xn--bcher-kva.example');
  assert.equal(normalizeAddress('user@faß.de'), 'user@xn--fa-hia.de', 'UTS-46 non-transitional');
  assert.equal(normalizeAddress('user@example.com.'), 'user@example.com');
  assert.equal(normalizeAddress('<User@Example.com>'), 'user@example.com');
  assert.equal(normalizeAddress('"John"@example.com'), 'john@example.com', 'unneeded quotes dropped');
  assert.equal(normalizeAddress('"John Doe"@example.com'), '"john doe"@example.com');
  assert.equal(normalizeAddress('Jörg@例え.テスト'), 'jörg@xn--r8jz45g.xn--zckzah');
  assert.equal(normalizeAddress('u@[IPv6:2001:DB8::1]'), 'u@[IPv6:2001:db8::1]');
  assert.equal(normalizeAddress('not an address'), null);
  assert.equal(normalizeAddress('user@example..com'), null);
  assert.equal(normalizeAddress('user@example.com..'), null);
});

test('normalizeDomain and isValidDomain', () => {
  assert.equal(normalizeDomain('EXAMPLE.org.'), 'example.org');
  assert.equal(normalizeDomain('Bücher.example'), 'xn--bcher-kva.example');
  assert.equal(normalizeDomain('exa mple.org'), null);
  assert.equal(normalizeDomain('-bad.org'), null);
  assert.equal(normalizeDomain(''), null);
  assert.equal(normalizeDomain('[192.0.2.1]'), '[192.0.2.1]');
  assert.equal(isValidDomain('example.org'), true);
  assert.equal(isValidDomain('example.org.'), false);
  assert.equal(isValidDomain('bücher.example'), false);
  assert.equal(isValidDomain('bücher.example', { utf8: true }), true);
  assert.equal(isValidDomain(`${'a'.repeat(64)}.org`), false);
});

test('formats a mailbox with quotes only when needed', () => {
  assert.equal(formatMailbox({ local: 'a.b', domain: 'x.test' }), 'a.b@x.test');
  assert.equal(formatMailbox({ local: 'a b"c', domain: 'x.test' }), '"a b\\"c"@x.test');
  assert.equal(formatMailbox({ local: 'a..b', domain: 'x.test' }), '"a..b"@x.test');
});

test('splits sub-addresses at the separator', () => {
  assert.deepEqual(splitPlusAddress('user+tag'), { base: 'user', detail: 'tag' });
  assert.deepEqual(splitPlusAddress('user+a+b'), { base: 'user', detail: 'a+b' });
  assert.deepEqual(splitPlusAddress('user'), { base: 'user', detail: null });
  assert.deepEqual(splitPlusAddress('+user'), { base: '+user', detail: null });
  assert.deepEqual(splitPlusAddress('user-tag', '-'), { base: 'user', detail: 'tag' });
  assert.deepEqual(splitPlusAddress('user-x+y', '+-'), { base: 'user', detail: 'x+y' });
});

test('flags relay tricks in local parts', () => {
  const local = (a: string): string => ok(a).local;
  assert.equal(localPartRoutingTrick(local('user%other.example@example.com')), 'percent');
  assert.equal(localPartRoutingTrick(local('other.example!user@example.com')), 'bang');
  assert.equal(localPartRoutingTrick(local('"user@other.example"@example.com')), 'at');
  assert.equal(localPartRoutingTrick(local('plain.user@example.com')), null);
});
