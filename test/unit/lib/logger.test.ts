// createLogger: JSON lines, per-connection children, levels, redaction of secrets, pretty lines, fd output.
import { strict as assert } from 'node:assert';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger, formatPrettyLine, type LoggerOptions } from '../../../src/lib/logger.js';

function capture(opts: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = createLogger({ ...opts, stream: { write: (s) => void lines.push(s) } });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('writes one JSON object per line with level, time and msg', () => {
  const { log, lines, records } = capture();
  log.info({ n: 1 }, 'hello');
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('\n'));
  const [r] = records();
  assert.equal(r!.msg, 'hello');
  assert.equal(r!.level, 30);
  assert.equal(r!.n, 1);
  assert.equal(typeof r!.time, 'number');
  assert.equal(r!.pid, undefined);
});

test('a child carries the connection id on every line', () => {
  const { log, records } = capture();
  const conn = log.child({ conn: 'abc123' });
  conn.info('EHLO');
  conn.child({ user: 'bob' }).warn('AUTH failed');
  assert.deepEqual(
    records().map((r) => [r.conn, r.user, r.msg]),
    [
      ['abc123', undefined, 'EHLO'],
      ['abc123', 'bob', 'AUTH failed'],
    ],
  );
});

test('lines below the level are not written', () => {
  const { log, records } = capture({ level: 'warn' });
  log.info('quiet');
  log.debug('quieter');
  log.error('loud');
  assert.deepEqual(records().map((r) => r.msg), ['loud']);
  assert.equal(log.isLevelEnabled('info'), false);
});

test('password, pass, secret and authorization never appear, however nested', () => {
  const { log, lines } = capture({ level: 'trace' });
  log.info({ password: 'hunter2', user: 'bob' }, 'login');
  log.info({ auth: { pass: 'p4ss-one', method: 'PLAIN' } }, 'sasl');
  log.info({ req: { headers: { authorization: 'Basic c2VjcmV0', Authorization: 'Bearer tok-9' } } }, 'http');
  log.child({ conn: 'x' }).info({ a: { b: { c: { secret: 's3cr3t-deep' } } } }, 'deep');
  log.info({ queue: { relay_password: 'relay-pw' }, list: [{ password: 'in-array' }] }, 'config');
  log.child({ conn: 'y', Password: 'in-bindings' }).info('bound');
  const out = lines.join('');
  for (const s of ['hunter2', 'p4ss-one', 'c2VjcmV0', 'tok-9', 's3cr3t-deep', 'relay-pw', 'in-array', 'in-bindings']) {
    assert.ok(!out.includes(s), `${s} leaked into the log`);
  }
  assert.ok(out.includes('"password":"[redacted]"'));
  assert.ok(out.includes('"user":"bob"'), 'other fields are kept');
  assert.ok(out.includes('"method":"PLAIN"'));
});

test('redaction leaves the logged object itself untouched', () => {
  const { log } = capture();
  const auth = { user: 'bob', password: 'hunter2' };
  log.info({ auth }, 'login');
  assert.equal(auth.password, 'hunter2');
});

test('errors under err are serialized with message and stack', () => {
  const { log, records } = capture();
  log.error({ err: new Error('disk full') }, 'commit failed');
  const err = records()[0]!.err as Record<string, unknown>;
  assert.equal(err.message, 'disk full');
  assert.match(String(err.stack), /Error: disk full/);
});

test('pretty format writes one readable line with the connection id', () => {
  const { log, lines } = capture({ format: 'pretty' });
  log.child({ conn: 'k3x9' }).info({ rcpt: 'a@b.test', note: 'two words' }, 'accepted');
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[conn=k3x9\] accepted rcpt=a@b\.test note="two words"\n$/);
  assert.equal(formatPrettyLine('not json'), 'not json');
});

test('writes synchronously to a file descriptor', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-log-'));
  try {
    const file = join(dir, 'log.jsonl');
    const fh = await open(file, 'w');
    const log = createLogger({ destination: fh.fd, sync: true });
    log.info({ password: 'nope' }, 'to a file');
    const text = await readFile(file, 'utf8');
    await fh.close();
    const r = JSON.parse(text) as Record<string, unknown>;
    assert.equal(r.msg, 'to a file');
    assert.equal(r.password, '[redacted]');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
