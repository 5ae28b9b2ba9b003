/**
 * DNSBL/DNSWL on the port-25 listener against the fake DNS: a listed client is refused with 554 5.7.1 instead of
 * the greeting, an allowlisted one passes, a list that does not answer never blocks, answers are cached, and the
 * junk action files the message to Junk. Clients connect from distinct 127.0.0.0/8 addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient, greetAndEhlo } from '../smtp/raw-client.js';

async function greeting(srv: TestServer, from: string): Promise<{ code: number; text: string; c: RawClient }> {
  const c = await RawClient.connect(srv.port('smtp'), { localAddress: from });
  const r = await c.reply(8000);
  return { code: r.code, text: r.text, c };
}

async function deliver(srv: TestServer, from: string, subject: string): Promise<number> {
  const c = await RawClient.connect(srv.port('smtp'), { localAddress: from });
  await greetAndEhlo(c, 'client.test');
  assert.equal((await c.cmd('MAIL FROM:<>')).code, 250);
  assert.equal((await c.cmd('RCPT TO:<ivanov@example.org>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.data(`From: x@client.test\r\nSubject: ${subject}\r\n\r\nhi\r\n.\r\n`, 8000);
  c.close();
  return r.code;
}

async function subjects(srv: TestServer, mailbox: string): Promise<string[]> {
  const acct = await srv.store.getAccount('ivanov@example.org');
  const mb = acct && (await srv.store.getMailbox(acct.id, mailbox));
  if (!mb) return [];
  const list = await srv.store.listMessages(mb.id);
  const rows = await srv.store.getMessages(mb.id, list.map((m) => m.uid));
  const out: string[] = [];
  for (const r of rows) out.push(/^Subject: (.*)$/m.exec((await srv.store.blobs.read(r.blobId)).toString('latin1'))?.[1]?.trim() ?? '');
  return out;
}

describe('DNSBL and DNSWL at connect', () => {
  let dns: FakeDns;
  let srv: TestServer;
  before(async () => {
    dns = await startFakeDns();
    srv = await startServer({
      dns,
      users: [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }],
      toml: '[relay]\ntrusted_networks = ["127.0.0.1/32"]\n[antispam]\nauthentication = false\ndnsbl_zones = ["bl.test", "slow.test"]\ndnswl_zones = ["wl.test"]\n',
    });
    // RFC 5782 §5: 127.0.0.2 is the test entry every list carries.
    dns.add('2.0.0.127.bl.test', 'A', '127.0.0.2');
    dns.add('3.0.0.127.bl.test', 'A', '127.0.0.2');
    dns.add('3.0.0.127.wl.test', 'A', '127.0.10.0');
    dns.add('4.0.0.127.bl.test', 'A', '127.255.255.254');
    dns.setTimeout('5.0.0.127.slow.test');
  });
  after(async () => {
    await srv.close();
    await dns.close();
  });

  it('refuses a listed client with 554 5.7.1 instead of the greeting', async () => {
    const g = await greeting(srv, '127.0.0.2');
    assert.equal(g.code, 554);
    assert.match(g.text, /5\.7\.1 .*bl\.test/);
    await g.c.waitClosed();
  });

  it('lets a listed client pass when an allowlist lists it too', async () => {
    assert.equal(await deliver(srv, '127.0.0.3', 'allowlisted'), 250);
  });

  it('does not count the lists\' error codes as a listing', async () => {
    const g = await greeting(srv, '127.0.0.4');
    assert.equal(g.code, 220);
    g.c.close();
  });

  it('greets when a list does not answer (after the resolver timeout)', async () => {
    const t0 = Date.now();
    const g = await greeting(srv, '127.0.0.5');
    assert.equal(g.code, 220);
    assert.ok(Date.now() - t0 < 5000);
    g.c.close();
  });

  it('caches answers: a second connection asks no new question', async () => {
    const before = dns.queries.filter((q) => q.name === '2.0.0.127.bl.test').length;
    const g = await greeting(srv, '127.0.0.2');
    assert.equal(g.code, 554);
    g.c.close();
    assert.equal(dns.queries.filter((q) => q.name === '2.0.0.127.bl.test').length, before);
  });

  it('does not look up trusted clients', async () => {
    const g = await greeting(srv, '127.0.0.1');
    assert.equal(g.code, 220);
    g.c.close();
    assert.equal(dns.queries.filter((q) => q.name.startsWith('1.0.0.127.')).length, 0);
  });
});

describe('DNSBL junk action', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }],
      toml: '[relay]\ntrusted_networks = ["127.0.0.1/32"]\n[antispam]\nauthentication = false\ndnsbl_zones = ["bl.test"]\ndnsbl_action = "junk"\n',
    });
    srv.dns.add('2.0.0.127.bl.test', 'A', '127.0.0.2');
  });
  after(async () => {
    await srv.close();
  });

  it('files mail from a listed client to Junk and other mail to INBOX', async () => {
    assert.equal(await deliver(srv, '127.0.0.2', 'from listed'), 250);
    assert.equal(await deliver(srv, '127.0.0.6', 'from clean'), 250);
    assert.deepEqual(await subjects(srv, 'Junk'), ['from listed']);
    assert.deepEqual(await subjects(srv, 'INBOX'), ['from clean']);
  });
});
