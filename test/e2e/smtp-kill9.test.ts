/**
 * Nothing acknowledged is lost: an SMTP load of many messages in parallel sessions while the server process is
 * SIGKILLed; after a restart every message that got a 250 is in its mailbox, byte for byte, and the database
 * passes its integrity check.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { freePort } from '../helpers/free-port.js';
import { spawnPochta, waitForOutput } from '../helpers/cli.js';
import { RawClient } from '../protocol/smtp/raw-client.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { hashPassword } from '../../src/directory/passwords.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});


const USERS = 5;

function makeMessage(session: number, n: number): string {
  const id = `s${session}-m${n}`;
  const filler = createHash('sha256').update(id).digest('hex').repeat(20);
  return `From: load@remote.test\r\nTo: user${n % USERS}@example.org\r\nSubject: ${id}\r\nMessage-ID: <${id}@remote.test>\r\n\r\n${id}\r\n${filler}\r\n`;
}

/** One SMTP session sending messages until the connection dies; records each message that got 250. */
async function loadSession(port: number, session: number, acked: Map<string, { rcpt: string; body: string }>): Promise<void> {
  let c: RawClient;
  try {
    c = await RawClient.connect(port);
    await c.reply();
    await c.cmd('EHLO load.remote.test');
  } catch {
    return;
  }
  for (let n = 0; ; n++) {
    const body = makeMessage(session, n);
    const rcpt = `user${n % USERS}@example.org`;
    try {
      if ((await c.cmd('MAIL FROM:<load@remote.test>')).code !== 250) return;
      if ((await c.cmd(`RCPT TO:<${rcpt}>`)).code !== 250) return;
      if ((await c.cmd('DATA')).code !== 354) return;
      const r = await c.cmd(`${body}.`, 10_000);
      if (r.code === 250) acked.set(`s${session}-m${n}`, { rcpt, body });
      else return;
    } catch {
      return; // the server died
    }
  }
}

test('every message that got 250 survives a SIGKILL of the server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-kill9-'));
  dirs.push(dir);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  await writeFile(
    join(dir, 'pochta.toml'),
    `[server]\nhostname = "mx.example.org"\ndata_dir = "."\nuser = ""\n[log]\nlevel = "warn"\n[relay]\ntrusted_networks = []\n` +
      `[[listeners]]\nprotocol = "smtp"\naddress = "127.0.0.1"\nport = ${port}\ntls = "none"\n`,
  );
  const setup = await openSqliteStore({ dir });
  await setup.addDomain({ name: 'example.org' });
  const hash = await hashPassword('load-test-password');
  for (let i = 0; i < USERS; i++) await setup.createAccount({ address: `user${i}@example.org`, passwordHash: hash });
  await setup.close();

  const acked = new Map<string, { rcpt: string; body: string }>();
  for (const killAfter of [40, 150]) {
    const child = spawnPochta(['serve', '--config', join(dir, 'pochta.toml')]);
    await waitForOutput(child, /pochta .*config/);
    const before = acked.size;
    let running = 8;
    const sessions = Array.from({ length: 8 }, (_, s) => loadSession(port, s + killAfter * 100, acked).finally(() => running--));
    while (acked.size - before < killAfter) {
      if (running === 0) {
        child.kill('SIGKILL');
        assert.fail(`every load session stopped after ${acked.size - before} acknowledged messages (the server refused the load)`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await Promise.all(sessions);
    await new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  }
  assert.ok(acked.size >= 190, `load ran (${acked.size} acknowledged)`);

  const store = await openSqliteStore({ dir });
  try {
    assert.equal(await store.integrityCheck(), 'ok');
    const bySubject = new Map<string, Buffer>();
    for (let i = 0; i < USERS; i++) {
      const acct = await store.getAccount(`user${i}@example.org`);
      const inbox = await store.getMailbox(acct!.id, 'INBOX');
      const list = await store.listMessages(inbox!.id);
      const full = await store.getMessages(inbox!.id, list.map((m) => m.uid));
      for (const m of full) {
        const raw = await store.blobs.read(m.blobId);
        const subject = /^Subject: (\S+)/m.exec(raw.toString('latin1'))?.[1];
        if (subject) bySubject.set(`${subject}|user${i}@example.org`, raw);
      }
    }
    let checked = 0;
    for (const [id, { rcpt, body }] of acked) {
      const raw = bySubject.get(`${id}|${rcpt}`);
      assert.ok(raw, `acknowledged message ${id} to ${rcpt} is in the mailbox`);
      // The stored body is our Received header + exactly the bytes sent (dot-unstuffed; none needed here).
      assert.ok(raw.toString('latin1').endsWith(body), `message ${id} is intact`);
      checked++;
    }
    assert.equal(checked, acked.size);
  } finally {
    await store.close();
  }
});
