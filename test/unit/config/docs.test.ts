// docs/configuration.md is generated from the schema: drift between them fails here.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { describeConfig, renderConfigMarkdown } from '../../../src/config/index.js';

test('docs/configuration.md is up to date with the schema (run `npm run docs:config`)', () => {
  const committed = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, renderConfigMarkdown());
});

test('every key has a type, a default or "required", and a doc line', () => {
  const sections = describeConfig();
  assert.deepEqual(
    sections.map((s) => s.name),
    ['server', 'listeners', 'tls', 'dns', 'smtp', 'relay', 'antispam', 'queue', 'srs', 'imap', 'pop3', 'log', 'directory'],
  );
  for (const d of sections.flatMap((s) => s.keys)) {
    assert.ok(d.doc.length > 10, `${d.path} has no doc`);
    assert.ok(d.type.length > 0, `${d.path} has no type`);
    assert.ok(d.defaultDoc.length > 0, `${d.path} has no default`);
  }
  const protocol = sections[1]!.keys.find((k) => k.key === 'protocol')!;
  assert.equal(protocol.required, true);
});

test('the reference shows units and computed defaults', () => {
  const md = renderConfigMarkdown();
  assert.match(md, /\| `max_lifetime` \| integer \(seconds\) \| `432_000 seconds \(5 days\)` \|/);
  assert.match(md, /\| `max_message_size` \| integer \(bytes\) \| `52_428_800 bytes \(50 MiB\)` \|/);
  assert.match(md, /\| `greeting` \| string \| \*"&lt;hostname&gt; ESMTP pochta"\* \|/);
  assert.match(md, /\| `level` \| "trace" \\\| "debug"/);
});
