/**
 * Reads what a test server delivered, through the store API: the INBOX messages of an account with their
 * full bytes as an IMAP client would see them (stored per-recipient prefix + the shared body).
 */
import type { TestServer } from '../../helpers/start-server.js';

export interface Delivered {
  uid: number;
  blobId: string;
  prefix: string;
  body: Buffer;
  /** prefix + body as text (latin1, byte-preserving). */
  full: string;
}

export async function inbox(srv: TestServer, address: string): Promise<Delivered[]> {
  const acct = await srv.store.getAccount(address);
  if (!acct) throw new Error(`no account ${address}`);
  const mb = await srv.store.getMailbox(acct.id, 'INBOX');
  if (!mb) return [];
  const list = await srv.store.listMessages(mb.id);
  const rows = await srv.store.getMessages(mb.id, list.map((m) => m.uid));
  const out: Delivered[] = [];
  for (const r of rows) {
    const body = await srv.store.blobs.read(r.blobId);
    out.push({ uid: r.uid, blobId: r.blobId, prefix: r.prefix, body, full: r.prefix + body.toString('latin1') });
  }
  return out;
}

/** How many bodies the blob store holds. */
export async function blobCount(srv: TestServer): Promise<number> {
  let n = 0;
  for await (const _ of srv.store.blobs.list()) n++;
  return n;
}

/** Polls until `fn` is true (deliveries are synchronous with the 250, but clients may exit first). */
export async function eventually(fn: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
