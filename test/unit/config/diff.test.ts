// diffConfig: the keys a SIGHUP reload has to apply.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { diffConfig, parseConfig } from '../../../src/config/index.js';

test('reports changed keys by path and listeners as one list', () => {
  const a = parseConfig('[server]\nhostname = "mx.test"', '/p/pochta.toml');
  const b = parseConfig(
    '[server]\nhostname = "mx.test"\n[smtp]\nmax_recipients = 200\n[[listeners]]\nprotocol = "smtp"\nport = 2525',
    '/p/pochta.toml',
  );
  assert.deepEqual(diffConfig(a, b), ['listeners', 'smtp.max_recipients']);
  assert.deepEqual(diffConfig(a, a), []);
});

test('a computed default that changes with its source is reported', () => {
  const a = parseConfig('[server]\nhostname = "a.test"', '/p/pochta.toml');
  const b = parseConfig('[server]\nhostname = "b.test"', '/p/pochta.toml');
  assert.deepEqual(diffConfig(a, b), ['server.hostname', 'smtp.greeting', 'srs.domain']);
});
