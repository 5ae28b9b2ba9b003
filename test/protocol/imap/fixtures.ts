/**
 * IMAP test fixtures: a started server with one user, and delivery of raw messages straight through the
 * store (parse once, blob, deliver) so IMAP tests do not depend on SMTP.
 */
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { extractSearchText } from '../../../src/mail/search-text.js';
import { MessageFields } from '../../../src/protocols/imap/server/message-fields.js';
import type { DeliveryResult, Store, StoredMessage } from '../../../src/store/types.js';
import { startServer, type StartServerOptions, type TestServer } from '../../helpers/start-server.js';
import { ImapTestClient } from './client.js';

export const USER = 'alice@example.org';
export const PASS = 'correct horse battery';

export async function startImapServer(opts: StartServerOptions = {}): Promise<TestServer> {
  return startServer({
    listeners: [{ protocol: 'imap', tls: 'starttls', extra: 'allow_plaintext_auth = true' }, { protocol: 'imap', tls: 'implicit' }, { protocol: 'imap', tls: 'starttls', name: 'strict' }],
    users: [{ address: USER, password: PASS }, { address: 'bob@example.org', password: PASS }],
    ...opts,
  });
}

/** A plain connection on the plaintext-allowed listener, greeting read, logged in. */
export async function loggedIn(srv: TestServer, user = USER): Promise<ImapTestClient> {
  const c = await ImapTestClient.connect(srv.port('imap', 0));
  await c.readResponse();
  const r = await c.login(user, PASS);
  if (!/ OK /.test(r.tagged)) throw new Error(`login failed: ${r.tagged}`);
  return c;
}

export function rawMessage(subject: string, body = 'Hello world', extra = ''): Buffer {
  return Buffer.from(
    `From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: ${subject}\r\n` +
      `Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n${extra}\r\n${body}\r\n`,
  );
}

/** Delivers raw bytes to the user's mailbox (default INBOX) through the store. */
export async function deliver(store: Store, address: string, raw: Buffer, opts: { mailbox?: string; flags?: string[]; date?: Date } = {}): Promise<DeliveryResult> {
  const account = await store.getAccount(address);
  if (!account) throw new Error(`no account ${address}`);
  const structure = parseMessage(raw);
  const ref = await store.blobs.put(raw);
  const [r] = await store.deliver(
    { blobId: ref.id, size: ref.size, structure, searchText: extractSearchText(raw, structure) },
    [{ accountId: account.id, mailbox: opts.mailbox ?? 'INBOX', flags: opts.flags ?? [], prefix: 'Return-Path: <sender@example.net>\r\n' }],
    opts.date,
  );
  return r!;
}

/**
 * Runs a SEARCH or UID SEARCH `command`, checks that it ends OK and answers a `* SEARCH` line: that line's numbers
 * (as text) and every untagged line.
 */
export async function searchIds(c: ImapTestClient, command: string): Promise<{ ids: string; lines: string[] }> {
  const r = await c.command(command);
  assert.match(r.tagged, / OK /, command);
  const line = r.lines.find((l) => l.startsWith('* SEARCH'));
  assert.ok(line !== undefined, `${command}: ${r.lines.join(' | ')}`);
  return { ids: line.slice('* SEARCH'.length).trim(), lines: r.lines };
}

/**
 * IMAP's exact test of a header key (RFC 9051 §6.4.4: decoded, case-insensitive, every field called `field`) on
 * each of `rows`, with MessageFields (reads the blobs): the UIDs that match. An empty needle matches every message
 * that has the field.
 */
export async function exactHeaderHits(store: Store, rows: readonly StoredMessage[], field: string, needle: string): Promise<Set<number>> {
  const out = new Set<number>();
  for (const m of rows) {
    const values = await new MessageFields(store.blobs, m).header(field);
    if (values.length > 0 && (needle === '' || values.some((v) => v.toLowerCase().includes(needle.toLowerCase())))) out.add(m.uid);
  }
  return out;
}
