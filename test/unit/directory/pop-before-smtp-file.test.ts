import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PopBeforeSmtp } from '../../../src/directory/pop-before-smtp.js';
import { GrantsFileWriter, grantsFilePath, loadGrants } from '../../../src/directory/pop-before-smtp-file.js';

test('grants written by the server are read back, and expired ones are not shown', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-pbs-file-'));
  try {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const path = grantsFilePath(dir);
    const writer = new GrantsFileWriter(path);
    const reg: PopBeforeSmtp = new PopBeforeSmtp({ now: () => t, onChange: () => writer.save(() => reg.list()) });
    assert.deepEqual(await loadGrants(path, t), [], 'no file: no grants');
    reg.grant('192.0.2.7', 10, 'a@example.org');
    reg.grant('::ffff:192.0.2.8', 1, 'b@example.org');
    await writer.flush();
    const read = await loadGrants(path, t);
    assert.deepEqual(read.map((g) => [g.ip, g.login, g.until.getTime() - t]), [
      ['192.0.2.8', 'b@example.org', 60_000],
      ['192.0.2.7', 'a@example.org', 600_000],
    ]);
    t += 60_000;
    assert.deepEqual((await loadGrants(path, t)).map((g) => g.ip), ['192.0.2.7'], 'the 1-minute grant has ended');
    reg.revoke('192.0.2.7');
    await writer.flush();
    assert.deepEqual(await loadGrants(path, t), []);
    assert.match(await readFile(path, 'utf8'), /"grants": \[\]/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a malformed entry is skipped, not fatal', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-pbs-file-'));
  try {
    const path = grantsFilePath(dir);
    await writeFile(path, JSON.stringify({ grants: [null, { ip: 1 }, { ip: '192.0.2.9', until: '2999-01-01T00:00:00Z' }] }));
    assert.deepEqual((await loadGrants(path)).map((g) => [g.ip, g.login]), [['192.0.2.9', '']]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
