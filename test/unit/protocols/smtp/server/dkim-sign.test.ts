import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth';
import { dkimZoneLine, generateDkimKey, isValidSelector, loadDkimKeys } from '../../../../../src/protocols/smtp/server/dkim-keys.js';
import { dkimSignatures, signOutgoing } from '../../../../../src/protocols/smtp/server/dkim-sign.js';
import { createLogger } from '../../../../../src/lib/logger.js';

const log = createLogger({ level: 'silent' as never, sync: true, destination: 'stderr' });
const MESSAGE = Buffer.from('From: a@example.org\r\nTo: b@example.com\r\nSubject: hi\r\nDate: Fri, 02 Jan 2026 03:04:05 +0000\r\n\r\nbody  text \r\n\r\n');

describe('DKIM keys and signing', () => {
  let dir: string;
  const txt = new Map<string, string>();
  const resolver = async (name: string, rr: string): Promise<string[][]> => {
    const v = rr === 'TXT' ? txt.get(name) : undefined;
    if (v === undefined) throw Object.assign(new Error('no record'), { code: 'ENOTFOUND' });
    return [v.match(/.{1,255}/g) ?? [v]];
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pochta-dkim-'));
    for (const [domain, sel, alg] of [
      ['example.org', 'r1', 'rsa'],
      ['example.org', 'e1', 'ed25519'],
    ] as const) {
      const k = await generateDkimKey(dir, domain, sel, alg);
      txt.set(k.txtName, k.txt);
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads only the keys of the domain asked for, with valid one-label selectors', async () => {
    await writeFile(join(dir, 'dkim', 'example.org.uk.s1.key'), 'not a key');
    const keys = await loadDkimKeys(dir, 'example.org');
    assert.deepEqual(keys.map((k) => [k.selector, k.algorithm]), [['e1', 'ed25519'], ['r1', 'rsa']]);
    assert.deepEqual(await loadDkimKeys(dir, 'example.net'), []);
    assert.deepEqual(await loadDkimKeys(join(dir, 'missing'), 'example.org'), []);
    assert.equal(isValidSelector('a.b'), false);
    assert.equal(isValidSelector('-x'), false);
  });

  it('signs once per key, and both rsa-sha256 and ed25519-sha256 verify', async () => {
    const signed = await signOutgoing(MESSAGE, 'Example.ORG', dir, log);
    assert.equal(signed.toString().match(/^DKIM-Signature:/gm)?.length, 2);
    const res = await dkimVerify(signed, { resolver } as never);
    const got = res.results.map((r) => [r.selector, r.status?.result]).sort();
    assert.deepEqual(got, [['e1', 'pass'], ['r1', 'pass']]);
  });

  it('leaves a message without keys or without a From domain untouched', async () => {
    assert.equal(await signOutgoing(MESSAGE, 'example.net', dir, log), MESSAGE);
    assert.equal(await signOutgoing(MESSAGE, null, dir, log), MESSAGE);
    assert.deepEqual(await dkimSignatures(MESSAGE, []), { headers: '', errors: [] });
  });

  it('writes a zone line split in 255-byte strings', () => {
    const line = dkimZoneLine('example.org', 's', `v=DKIM1; k=rsa; p=${'A'.repeat(400)}`);
    assert.match(line, /^s\._domainkey\.example\.org\. IN TXT \( "[^"]{255}" "[^"]+" \)$/);
  });
});
