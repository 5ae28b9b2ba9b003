import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapCommandReader, type ReaderEvent, type ReaderLimits } from '../../../../../src/protocols/imap/proto/framer.js';

function drain(r: ImapCommandReader): ReaderEvent[] {
  const out: ReaderEvent[] = [];
  for (let ev = r.next(); ev; ev = r.next()) out.push(ev);
  return out;
}

function feed(input: string | Buffer, limits?: ReaderLimits, chunk = 0): { reader: ImapCommandReader; events: ReaderEvent[] } {
  const reader = new ImapCommandReader(limits);
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const events: ReaderEvent[] = [];
  if (chunk <= 0) {
    reader.push(buf);
    events.push(...drain(reader));
  } else {
    for (let i = 0; i < buf.length; i += chunk) {
      reader.push(buf.subarray(i, i + chunk));
      events.push(...drain(reader));
    }
  }
  return { reader, events };
}

const commands = (evs: ReaderEvent[]) => evs.flatMap((e) => (e.kind === 'command' ? [e.command.bytes.toString('latin1')] : []));

test('frames several pipelined commands, with CRLF or bare LF', () => {
  const { events } = feed('a1 NOOP\r\na2 CAPABILITY\na3 LOGOUT\r\n');
  assert.deepEqual(commands(events), ['a1 NOOP', 'a2 CAPABILITY', 'a3 LOGOUT']);
  assert.equal(events[0]!.kind === 'command' && events[0]!.command.tag, 'a1');
});

test('frames identically when fed one byte at a time', () => {
  const input = 'a1 LOGIN {4+}\r\nfred {3+}\r\nabc\r\na2 NOOP\r\n';
  assert.deepEqual(commands(feed(input, {}, 1).events), ['a1 LOGIN {4+}\r\nfred {3+}\r\nabc', 'a2 NOOP']);
});

test('waits for a continuation decision on a synchronising literal', () => {
  const r = new ImapCommandReader();
  r.push(Buffer.from('a APPEND x {5}\r\n'));
  const evs = drain(r);
  assert.deepEqual(evs, [{ kind: 'continuation', tag: 'a', size: 5, binary: false }]);
  assert.equal(r.awaitingContinuation, true);
  r.push(Buffer.from('hello\r\n'));
  assert.deepEqual(drain(r), []); // nothing while undecided
  r.continueLiteral();
  assert.deepEqual(commands(drain(r)), ['a APPEND x {5}\r\nhello']);
});

test('a refused synchronising literal drops the command and the next line is a new command', () => {
  const r = new ImapCommandReader();
  r.push(Buffer.from('a APPEND x {5}\r\n'));
  drain(r);
  r.refuseLiteral();
  r.push(Buffer.from('b NOOP\r\n'));
  assert.deepEqual(commands(drain(r)), ['b NOOP']);
});

test('reports literal8 and counts literals', () => {
  const r = new ImapCommandReader();
  r.push(Buffer.from('a APPEND x ~{2}\r\n'));
  assert.deepEqual(drain(r), [{ kind: 'continuation', tag: 'a', size: 2, binary: true }]);
  r.continueLiteral();
  r.push(Buffer.from('\0\x01 {1+}\r\nZ\r\n'));
  const evs = drain(r);
  assert.equal(evs.length, 1);
  assert.ok(evs[0]!.kind === 'command' && evs[0]!.command.literals === 2);
});

test('a line over the limit gives line-too-long and the reader resynchronises', () => {
  const { events } = feed(`a1 NOOP ${'x'.repeat(200)}\r\na2 NOOP\r\n`, { maxLineLength: 100 }, 7);
  assert.equal(events.length, 2);
  assert.ok(events[0]!.kind === 'error' && events[0]!.error.kind === 'line-too-long' && events[0]!.error.tag === 'a1');
  assert.deepEqual(commands(events), ['a2 NOOP']);
});

test('the line limit counts all lines of a command but not literal data', () => {
  const ok = feed(`a LOGIN {60+}\r\n${'y'.repeat(60)} {60+}\r\n${'z'.repeat(60)}\r\n`, { maxLineLength: 40 });
  assert.equal(commands(ok.events).length, 1);
  const bad = feed(`a LOGIN {1+}\r\nx ${'q'.repeat(50)}\r\nb NOOP\r\n`, { maxLineLength: 40 });
  assert.equal(bad.events[0]!.kind, 'error');
  assert.deepEqual(commands(bad.events), ['b NOOP']);
});

test('an over-long line ending in a non-synchronising literal skips that literal too', () => {
  const { events } = feed(`a X ${'x'.repeat(100)} {5+}\r\nNOOP!\r\nb NOOP\r\n`, { maxLineLength: 50 }, 9);
  assert.equal(events[0]!.kind, 'error');
  assert.deepEqual(commands(events), ['b NOOP']);
});

test('a synchronising literal over the limit is refused without a continuation', () => {
  const { events, reader } = feed('a APPEND x {1000}\r\n', { maxLiteralSize: 100 });
  assert.equal(events.length, 1);
  assert.ok(events[0]!.kind === 'error' && events[0]!.error.kind === 'literal-too-large' && !events[0]!.error.fatal);
  assert.equal(reader.awaitingContinuation, false);
  reader.push(Buffer.from('b NOOP\r\n'));
  assert.deepEqual(commands(drain(reader)), ['b NOOP']);
});

test('a non-synchronising literal over the limit is read and discarded', () => {
  const data = 'A'.repeat(300);
  const { events } = feed(`a APPEND x {300+}\r\n${data} {2+}\r\nzz\r\nb NOOP\r\n`, { maxLiteralSize: 100 }, 13);
  assert.ok(events[0]!.kind === 'error' && events[0]!.error.kind === 'literal-too-large');
  assert.deepEqual(commands(events), ['b NOOP']);
});

test('LITERAL- literals are limited to 4096 octets (RFC 7888 §5)', () => {
  const ok = feed(`a LOGIN {4096-}\r\n${'u'.repeat(4096)} p\r\n`);
  assert.equal(commands(ok.events).length, 1);
  const bad = feed(`a LOGIN {4097-}\r\n${'u'.repeat(4097)} p\r\nb NOOP\r\n`);
  assert.ok(bad.events[0]!.kind === 'error' && bad.events[0]!.error.kind === 'literal-too-large');
  assert.deepEqual(commands(bad.events), ['b NOOP']);
});

test('too many literals in one command', () => {
  const { events } = feed('a LOGIN {1+}\r\nx {1+}\r\ny {1+}\r\nz\r\nb NOOP\r\n', { maxLiterals: 2 });
  assert.ok(events[0]!.kind === 'error' && events[0]!.error.kind === 'too-many-literals');
  assert.deepEqual(commands(events), ['b NOOP']);
});

test('a non-synchronising literal too large to skip is fatal', () => {
  const { events, reader } = feed('a APPEND x {999999999+}\r\nabc', { maxLiteralSize: 100, maxSkipSize: 1000 });
  assert.ok(events[0]!.kind === 'error' && events[0]!.error.fatal);
  assert.equal(reader.failed, true);
  reader.push(Buffer.from('b NOOP\r\n'));
  assert.deepEqual(drain(reader), []);
});

test('push asks for backpressure when unframed input piles up, and discardBuffered drops it', () => {
  const r = new ImapCommandReader({ maxLineLength: 10 });
  r.push(Buffer.from('a APPEND x {3}\r\n'));
  drain(r);
  assert.equal(r.push(Buffer.from('x'.repeat(50))), false);
  assert.equal(r.discardBuffered(), 50);
  assert.equal(r.pendingBytes, 0);
});

test('a huge literal size written with many digits is refused, not parsed as a number overflow', () => {
  const { events } = feed('a APPEND x {99999999999999999999}\r\n', { maxLiteralSize: 100 });
  assert.ok(events[0]!.kind === 'error' && events[0]!.error.kind === 'literal-too-large');
});
