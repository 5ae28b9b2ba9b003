// renderExampleConfig: the commented pochta.toml of `pochta init` lists every key and parses back to the defaults.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import { defaultConfig, describeConfig, parseConfig, renderExampleConfig } from '../../../src/config/index.js';

const FILE = '/srv/pochta/pochta.toml';

test('the example parses back to the defaults', () => {
  const text = renderExampleConfig({ hostname: 'mx.example.org' });
  assert.deepEqual(parseConfig(text, FILE), defaultConfig({ hostname: 'mx.example.org', baseDir: '/srv/pochta' }));
});

test('the example with a port offset and data dir parses to those listeners and that directory', () => {
  const text = renderExampleConfig({ hostname: 'mx.example.org', portOffset: 10000, dataDir: '/var/lib/pochta' });
  const c = parseConfig(text, FILE);
  assert.deepEqual(c, defaultConfig({ hostname: 'mx.example.org', portOffset: 10000, dataDir: '/var/lib/pochta' }));
  assert.deepEqual(
    c.listeners.map((l) => l.port),
    [10025, 10587, 10465, 10143, 10993, 10110, 10995],
  );
  assert.equal(c.tls.cert, '/var/lib/pochta/tls/cert.pem');
});

test('the listeners are real [[listeners]] tables', () => {
  const doc = parse(renderExampleConfig({ hostname: 'mx.example.org' }));
  assert.ok(Array.isArray(doc.listeners));
  assert.equal((doc.listeners as unknown[]).length, 7);
});

test('uncommenting every computed default changes nothing', () => {
  const text = renderExampleConfig({ hostname: 'mx.example.org' });
  const optionalWithoutDefault = new Set(['relay_host', 'relay_user', 'relay_password', 'relay_tls_ca', 'spam_filter_address']);
  const uncommented = text.replace(/^#(\w+) = /gm, (line, key: string) => (optionalWithoutDefault.has(key) ? line : `${key} = `));
  assert.notEqual(uncommented, text);
  assert.deepEqual(parseConfig(uncommented, FILE), parseConfig(text, FILE));
});

test('every key of the schema appears with its doc line', () => {
  const text = renderExampleConfig({ hostname: 'mx.example.org' });
  for (const section of describeConfig()) {
    for (const d of section.keys) {
      if (section.array) {
        assert.ok(text.includes(`#   ${d.key}: ${d.doc}`), `missing listener key ${d.path}`);
      } else {
        const re = new RegExp(`^# ${d.doc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*\\n#?${d.key} = `, 'm');
        assert.match(text, re, `missing key ${d.path}`);
      }
    }
  }
});

test('an invalid system host name is left commented out rather than written', () => {
  const text = renderExampleConfig({ hostname: 'bad_host!' });
  assert.doesNotMatch(text, /^hostname = /m);
});
