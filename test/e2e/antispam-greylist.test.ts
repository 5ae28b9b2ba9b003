/**
 * End-to-end greylisting with swaks (a real SMTP client) against the in-process server: the first attempt of a
 * triplet gets 451 4.7.1 at RCPT, a retry after the delay is delivered, later mail of the triplet passes at once,
 * a new sender from the same network is greylisted on its own, and trusted clients never are. The state is read
 * back from the store. Clients connect from 127.0.0.2/127.0.0.3 (untrusted) and 127.0.0.1 (trusted).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { greylistKey } from '../../src/antispam/greylist.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { swaks } from '../protocol/smtp/clients.js';
import { inbox } from '../protocol/smtp/mailbox.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('greylisting with swaks', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }],
      toml: '[relay]\ntrusted_networks = ["127.0.0.1/32"]\n[antispam]\nauthentication = false\ngreylisting = true\ngreylist_delay = 1\n',
    });
  });
  after(async () => {
    await srv.close();
  });

  const send = (from: string, local: string, subject: string) =>
    swaks({ port: srv.port('smtp'), from, to: 'ivanov@example.org', localInterface: local, extra: ['--header', `Subject: ${subject}`] });

  test('defers the first attempt with 451 4.7.1 and accepts the retry after the delay', async () => {
    const first = await send('kozlov@remote.test', '127.0.0.2', 'grey one');
    assert.notEqual(first.code, 0);
    assert.match(first.stdout, /<\*\* +451 4\.7\.1 /);
    const entry = await srv.store.getGreylistEntry(greylistKey('127.0.0.2', 'kozlov@remote.test', 'ivanov@example.org')!, new Date());
    assert.equal(entry?.passed, false);

    const early = await send('kozlov@remote.test', '127.0.0.2', 'grey early');
    assert.match(early.stdout, /451 4\.7\.1/);

    await sleep(1100);
    // The retry may come from another address of the same /24.
    const retry = await send('kozlov@remote.test', '127.0.0.3', 'grey retry');
    assert.equal(retry.code, 0, retry.stdout);
    const passed = await srv.store.getGreylistEntry(greylistKey('127.0.0.3', 'kozlov@remote.test', 'ivanov@example.org')!, new Date());
    assert.equal(passed?.passed, true);

    const again = await send('kozlov@remote.test', '127.0.0.2', 'grey again');
    assert.equal(again.code, 0, again.stdout);
    const subjects = (await inbox(srv, 'ivanov@example.org')).map((m) => /^Subject: (.*)$/m.exec(m.full)?.[1]?.trim());
    assert.deepEqual(subjects, ['grey retry', 'grey again']);
  });

  test('greylists a new sender from a passed network on its own', async () => {
    const r = await send('other@remote.test', '127.0.0.2', 'grey other');
    assert.match(r.stdout, /451 4\.7\.1/);
  });

  test('never greylists a trusted client', async () => {
    const r = await send('boss@remote.test', '127.0.0.1', 'grey trusted');
    assert.equal(r.code, 0, r.stdout);
  });
});
