/**
 * DKIM signing of submitted mail (RFC 6376): keys made by generateDkimKey (what `pochta dkim generate` runs) in
 * the server's data dir, their TXT records in the fake DNS, and mailauth's dkimVerify at the remote receiver.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { generateDkimKey } from '../../../src/protocols/smtp/server/dkim-keys.js';
import { eventually } from '../smtp/mailbox.js';
import { authedSession, startBench, verifyDkim, type Bench } from './harness.js';

async function submit(b: Bench, user: string, from: string, subject: string): Promise<Buffer> {
  const c = await authedSession(b, user);
  assert.equal((await c.cmd(`MAIL FROM:<${user}>`)).code, 250);
  assert.equal((await c.cmd('RCPT TO:<kozlov@example.com>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.data(`From: ${from}\r\nTo: kozlov@example.com\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n  with  spaces \r\n.\r\n`);
  assert.equal(r.code, 250, r.text);
  c.close();
  const has = (): boolean => b.remote.received.some((m) => m.data.toString().includes(`Subject: ${subject}`));
  await eventually(async () => has(), 8000);
  return b.remote.received.find((m) => m.data.toString().includes(`Subject: ${subject}`))!.data;
}

describe('DKIM signing on submission', () => {
  let b: Bench;
  before(async () => {
    b = await startBench();
    const rsa = await generateDkimKey(b.srv.dataDir, 'example.org', 'r1', 'rsa');
    const ed = await generateDkimKey(b.srv.dataDir, 'example.net', 'e1', 'ed25519');
    b.dns.add(rsa.txtName, 'TXT', rsa.txt);
    b.dns.add(ed.txtName, 'TXT', ed.txt);
  });
  after(async () => {
    await b.close();
  });

  it('writes the private key with mode 0600 and refuses to overwrite it', async () => {
    const st = await stat(`${b.srv.dataDir}/dkim/example.org.r1.key`);
    assert.equal(st.mode & 0o777, 0o600);
    await assert.rejects(generateDkimKey(b.srv.dataDir, 'example.org', 'r1', 'rsa'), /EEXIST/);
  });

  it('signs with rsa-sha256 and the signature verifies', async () => {
    const data = await submit(b, 'ivanov@example.org', 'Ivanov <ivanov@example.org>', 'rsa signed');
    assert.match(data.toString(), /^DKIM-Signature: .*a=rsa-sha256/m);
    assert.deepEqual(await verifyDkim(b.dns, data), [{ domain: 'example.org', selector: 'r1', result: 'pass' }]);
  });

  it('signs with ed25519-sha256 and the signature verifies', async () => {
    const data = await submit(b, 'sidorov@example.net', 'sidorov@example.net', 'ed25519 signed');
    assert.match(data.toString(), /a=ed25519-sha256/);
    assert.deepEqual(await verifyDkim(b.dns, data), [{ domain: 'example.net', selector: 'e1', result: 'pass' }]);
  });

  it('a tampered body no longer verifies', async () => {
    const data = await submit(b, 'ivanov@example.org', 'ivanov@example.org', 'tampered');
    const bad = Buffer.from(data.toString('latin1').replace('body of tampered', 'body of tamperex'), 'latin1');
    const [res] = await verifyDkim(b.dns, bad);
    assert.notEqual(res?.result, 'pass');
  });

  it('does not sign for a From: domain without a key', async () => {
    const data = await submit(b, 'ivanov@example.org', 'ivan@sendas.test', 'unsigned');
    assert.doesNotMatch(data.toString(), /^DKIM-Signature:/im);
  });
});
