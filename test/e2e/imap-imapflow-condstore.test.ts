// End-to-end with imapflow (npm): CONDSTORE (MODSEQ, HIGHESTMODSEQ, FETCH CHANGEDSINCE) and QRESYNC
// (ENABLE, VANISHED instead of EXPUNGE) while another client changes the mailbox and the first one IDLEs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { TestServer } from '../helpers/start-server.js';
import { deliver, PASS, rawMessage, startImapServer, USER } from '../protocol/imap/fixtures.js';

function client(srv: TestServer, qresync: boolean): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: srv.port('imap', 1),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: USER, pass: PASS },
    logger: false,
    qresync,
    autoIdleDelay: 50,
  });
}

describe('IMAP with imapflow: CONDSTORE and QRESYNC', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
    for (const s of ['one', 'two', 'three']) await deliver(srv.store, USER, rawMessage(`cs ${s}`));
  });
  after(async () => srv.close());

  it('FETCH CHANGEDSINCE returns only what changed; another client\'s expunge arrives as VANISHED', async () => {
    const a = client(srv, true);
    const b = client(srv, false);
    await a.connect();
    await b.connect();
    try {
      assert.ok(a.enabled.has('QRESYNC'), `enabled: ${[...a.enabled].join(' ')}`);
      const mb = await a.mailboxOpen('INBOX');
      assert.equal(typeof mb.highestModseq, 'bigint');
      const since = mb.highestModseq!;

      await b.mailboxOpen('INBOX');
      await b.messageFlagsAdd({ uid: '2' }, ['\\Flagged'], { uid: true });

      const changed: Array<{ uid: number; modseq: bigint | undefined; flags: string[] }> = [];
      for await (const m of a.fetch('1:*', { uid: true, flags: true }, { changedSince: since })) {
        changed.push({ uid: m.uid, modseq: m.modseq, flags: [...(m.flags ?? [])] });
      }
      // The pending flag update of b's STORE may come as its own FETCH too: both are for UID 2 only.
      assert.deepEqual([...new Set(changed.map((x) => x.uid))], [2], JSON.stringify(changed, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      assert.ok(changed[0]!.modseq! > since);
      assert.ok(changed[0]!.flags.includes('\\Flagged'));

      const vanished = new Promise<{ uid?: number; vanished: boolean }>((resolve) => a.on('expunge', (d: { uid?: number; vanished: boolean }) => resolve(d)));
      await new Promise((r) => setTimeout(r, 200)); // a is in auto-IDLE now
      await b.messageDelete({ uid: '1' }, { uid: true });
      const ev = await vanished;
      assert.equal(ev.vanished, true, 'QRESYNC sessions get VANISHED, not EXPUNGE');
      assert.equal(ev.uid, 1);
      const status = await a.status('INBOX', { messages: true, highestModseq: true });
      assert.ok(status);
      assert.equal(status.messages, 2);
      assert.ok(status.highestModseq! > since);
    } finally {
      await a.logout();
      await b.logout();
    }
  });
});
