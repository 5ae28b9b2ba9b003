/**
 * Conformance suite for the `Store` interface (src/store/types.ts), written only against that interface so
 * every implementation (SQLite now, PostgreSQL later) runs it unchanged: `runStoreContract(name, makeStore)`.
 * `reopen`, when given, closes the store and opens the same data again (persistence checks).
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStoreError, type StoreErrorKind } from '../../src/lib/errors.js';
import type { Account, MailboxChange, Store } from '../../src/store/types.js';
import { freshBody, makeRawMessage, putBody } from '../helpers/store-fixtures.js';

export interface StoreHandle {
  store: Store;
  cleanup(): Promise<void>;
  /** Closes the store and opens the same data again; cleanup() must then close the reopened one. */
  reopen?(): Promise<Store>;
}

async function rejectsWith(p: Promise<unknown>, kind: StoreErrorKind): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isStoreError(e, kind), `expected StoreError '${kind}', got ${String(e)}`);
    return true;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function countBlobs(store: Store, id?: string): Promise<number> {
  let n = 0;
  for await (const b of store.blobs.list()) if (id === undefined || b.id === id) n++;
  return n;
}

export function runStoreContract(name: string, makeStore: () => Promise<StoreHandle>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHandle;
    let store: Store;

    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    async function newAccount(address = 'bob@example.test'): Promise<Account> {
      const domain = address.slice(address.lastIndexOf('@') + 1);
      if ((await store.getDomain(domain)) === null) await store.addDomain({ name: domain });
      return store.createAccount({ address, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' });
    }

    async function inboxOf(acc: Account): Promise<number> {
      return (await store.getMailbox(acc.id, 'INBOX'))!.id;
    }

    describe('domains', () => {
      it('adds, gets, lists, updates and removes a domain', async () => {
        const d = await store.addDomain({ name: 'example.test' });
        assert.equal(d.name, 'example.test');
        assert.equal(d.unknownPolicy, 'reject');
        assert.equal(d.catchAll, null);
        assert.ok(d.createdAt instanceof Date);
        await store.addDomain({ name: 'a.test' });
        assert.deepEqual((await store.listDomains()).map((x) => x.name), ['a.test', 'example.test']);
        const u = await store.updateDomain('example.test', { unknownPolicy: 'catch-all', catchAll: 'all@example.test' });
        assert.equal(u.unknownPolicy, 'catch-all');
        assert.equal((await store.getDomain('example.test'))!.catchAll, 'all@example.test');
        await store.removeDomain('a.test');
        assert.equal(await store.getDomain('a.test'), null);
      });

      it('refuses duplicates, unknown names and a catch-all policy without an address', async () => {
        await store.addDomain({ name: 'example.test' });
        await rejectsWith(store.addDomain({ name: 'example.test' }), 'exists');
        await rejectsWith(store.updateDomain('nope.test', { unknownPolicy: 'reject' }), 'not-found');
        await rejectsWith(store.removeDomain('nope.test'), 'not-found');
        await rejectsWith(store.updateDomain('example.test', { unknownPolicy: 'catch-all' }), 'invalid');
        assert.equal((await store.getDomain('example.test'))!.unknownPolicy, 'reject');
      });

      it('refuses to remove a domain that still has accounts or aliases', async () => {
        await newAccount('bob@example.test');
        await rejectsWith(store.removeDomain('example.test'), 'in-use');
        await store.removeAccount('bob@example.test');
        await store.addAlias('info@example.test', ['someone@remote.test']);
        await rejectsWith(store.removeDomain('example.test'), 'in-use');
        await store.removeAlias('info@example.test');
        await store.removeDomain('example.test');
        assert.equal(await store.getDomain('example.test'), null);
      });
    });

    describe('accounts', () => {
      it('creates an account with the six default mailboxes, special-use and subscribed', async () => {
        const acc = await newAccount();
        assert.equal(acc.address, 'bob@example.test');
        assert.equal(acc.domain, 'example.test');
        assert.equal(acc.enabled, true);
        assert.equal(acc.quotaBytes, 0);
        assert.deepEqual(acc.sendAs, []);
        const boxes = await store.listMailboxes(acc.id);
        const byName = new Map(boxes.map((b) => [b.name, b.specialUse]));
        assert.deepEqual(
          [...byName.entries()].sort(),
          [
            ['Archive', '\\Archive'],
            ['Drafts', '\\Drafts'],
            ['INBOX', null],
            ['Junk', '\\Junk'],
            ['Sent', '\\Sent'],
            ['Trash', '\\Trash'],
          ],
        );
        assert.deepEqual((await store.listSubscriptions(acc.id)).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
        const validities = new Set(boxes.map((b) => b.uidValidity));
        assert.equal(validities.size, boxes.length, 'every mailbox has its own UIDVALIDITY');
        for (const b of boxes) {
          assert.equal(b.uidNext, 1);
          assert.ok(b.uidValidity > 0 && b.uidValidity <= 0xffffffff);
        }
      });

      it('gets, lists, updates and removes accounts', async () => {
        const acc = await newAccount('bob@example.test');
        await newAccount('amy@other.test');
        assert.equal((await store.getAccountById(acc.id))!.address, 'bob@example.test');
        assert.deepEqual((await store.listAccounts()).map((a) => a.address), ['amy@other.test', 'bob@example.test']);
        assert.deepEqual((await store.listAccounts('other.test')).map((a) => a.address), ['amy@other.test']);
        const u = await store.updateAccount('bob@example.test', {
          passwordHash: 'new',
          quotaBytes: 1000,
          enabled: false,
          sendAs: ['info@example.test'],
        });
        assert.equal(u.passwordHash, 'new');
        assert.equal(u.quotaBytes, 1000);
        assert.equal(u.enabled, false);
        assert.deepEqual(u.sendAs, ['info@example.test']);
        await store.removeAccount('bob@example.test');
        assert.equal(await store.getAccount('bob@example.test'), null);
        assert.equal(await store.getAccountById(acc.id), null);
        assert.deepEqual(await store.listMailboxes(acc.id), []);
      });

      it('refuses duplicates, unknown domains and unknown accounts, writing nothing', async () => {
        await newAccount();
        await rejectsWith(store.createAccount({ address: 'bob@example.test', passwordHash: 'x' }), 'exists');
        await rejectsWith(store.createAccount({ address: 'x@nodomain.test', passwordHash: 'x' }), 'not-found');
        await rejectsWith(store.updateAccount('nobody@example.test', { enabled: false }), 'not-found');
        await rejectsWith(store.removeAccount('nobody@example.test'), 'not-found');
        assert.equal((await store.listAccounts()).length, 1);
      });
    });

    describe('aliases', () => {
      it('adds targets in order, ignores duplicates, removes one target or the whole alias', async () => {
        await store.addDomain({ name: 'example.test' });
        const a = await store.addAlias('info@example.test', ['a@example.test', 'b@remote.test']);
        assert.deepEqual(a.targets, ['a@example.test', 'b@remote.test']);
        const b = await store.addAlias('info@example.test', ['b@remote.test', 'c@example.test']);
        assert.deepEqual(b.targets, ['a@example.test', 'b@remote.test', 'c@example.test']);
        await store.addAlias('sales@example.test', ['x@example.test']);
        assert.deepEqual(
          (await store.listAliases('example.test')).map((x) => x.address),
          ['info@example.test', 'sales@example.test'],
        );
        await store.removeAlias('info@example.test', 'b@remote.test');
        assert.deepEqual((await store.getAlias('info@example.test'))!.targets, ['a@example.test', 'c@example.test']);
        await store.removeAlias('info@example.test');
        assert.equal(await store.getAlias('info@example.test'), null);
      });

      it('refuses unknown domains and unknown aliases', async () => {
        await rejectsWith(store.addAlias('info@nodomain.test', ['a@b.test']), 'not-found');
        await store.addDomain({ name: 'example.test' });
        await rejectsWith(store.removeAlias('info@example.test'), 'not-found');
        await store.addAlias('info@example.test', ['a@b.test']);
        await rejectsWith(store.removeAlias('info@example.test', 'other@b.test'), 'not-found');
      });
    });

    describe('mailboxes', () => {
      it('creates missing parents, refuses a taken name, and treats INBOX case-insensitively', async () => {
        const acc = await newAccount();
        const mb = await store.createMailbox(acc.id, 'Projects/2026/Q1');
        assert.equal(mb.name, 'Projects/2026/Q1');
        const names = (await store.listMailboxes(acc.id)).map((m) => m.name);
        assert.ok(names.includes('Projects') && names.includes('Projects/2026'));
        await rejectsWith(store.createMailbox(acc.id, 'Projects'), 'exists');
        await rejectsWith(store.createMailbox(acc.id, 'inbox'), 'exists');
        assert.equal((await store.getMailbox(acc.id, 'InBoX'))!.name, 'INBOX');
        await rejectsWith(store.createMailbox(acc.id, 'a//b'), 'invalid');
        await rejectsWith(store.createMailbox(9999, 'x'), 'not-found');
        const special = await store.createMailbox(acc.id, 'All Mail', { specialUse: '\\All' });
        assert.equal(special.specialUse, '\\All');
      });

      it('deletes a mailbox with its messages but never INBOX', async () => {
        const acc = await newAccount();
        const mb = await store.createMailbox(acc.id, 'Old');
        await store.appendMessage(mb.id, await freshBody(store));
        await store.deleteMailbox(mb.id);
        assert.equal(await store.getMailboxById(mb.id), null);
        await rejectsWith(store.deleteMailbox(await inboxOf(acc)), 'invalid');
        await rejectsWith(store.deleteMailbox(mb.id), 'not-found');
        assert.equal((await store.getUsage(acc.id)).messages, 0);
      });

      it('gives a re-created name a new UIDVALIDITY', async () => {
        const acc = await newAccount();
        const first = await store.createMailbox(acc.id, 'Temp');
        await store.deleteMailbox(first.id);
        const second = await store.createMailbox(acc.id, 'Temp');
        assert.notEqual(second.uidValidity, first.uidValidity);
        assert.ok(second.uidValidity > first.uidValidity);
      });

      it('renames a mailbox together with its children and keeps UIDVALIDITY and messages', async () => {
        const acc = await newAccount();
        const a = await store.createMailbox(acc.id, 'a');
        await store.createMailbox(acc.id, 'a/x/y');
        await store.createMailbox(acc.id, 'ab');
        await store.appendMessage(a.id, await freshBody(store));
        const renamed = await store.renameMailbox(a.id, 'b');
        assert.equal(renamed.name, 'b');
        assert.equal(renamed.uidValidity, a.uidValidity);
        const names = (await store.listMailboxes(acc.id)).map((m) => m.name);
        assert.ok(names.includes('b/x') && names.includes('b/x/y'));
        assert.ok(!names.includes('a') && !names.includes('a/x'));
        assert.ok(names.includes('ab'), 'a sibling sharing the prefix is untouched');
        assert.equal((await store.listMessages(renamed.id)).length, 1);
        await rejectsWith(store.renameMailbox(renamed.id, 'ab'), 'exists');
        await rejectsWith(store.renameMailbox(9999, 'zz'), 'not-found');
      });

      it('renaming INBOX moves its messages to the new name and leaves INBOX empty', async () => {
        const acc = await newAccount();
        const inbox = await inboxOf(acc);
        await store.appendMessage(inbox, await freshBody(store));
        const moved = await store.renameMailbox(inbox, 'Old Inbox');
        assert.equal(moved.name, 'Old Inbox');
        assert.equal((await store.listMessages(moved.id)).length, 1);
        assert.equal((await store.listMessages(inbox)).length, 0);
        const after = await store.getMailbox(acc.id, 'INBOX');
        assert.equal(after!.id, inbox);
        assert.ok(after!.uidNext >= 2, 'INBOX never reuses the UID');
      });

      it('subscribes and unsubscribes names, existing or not', async () => {
        const acc = await newAccount();
        await store.setSubscribed(acc.id, 'Nonexistent', true);
        await store.setSubscribed(acc.id, 'Junk', false);
        const subs = await store.listSubscriptions(acc.id);
        assert.ok(subs.includes('Nonexistent'));
        assert.ok(!subs.includes('Junk'));
        await store.setSubscribed(acc.id, 'Nonexistent', true);
        assert.equal((await store.listSubscriptions(acc.id)).filter((s) => s === 'Nonexistent').length, 1);
      });

      it('reports status and usage', async () => {
        const acc = await newAccount();
        const inbox = await inboxOf(acc);
        const b1 = await freshBody(store);
        const b2 = await freshBody(store);
        await store.appendMessage(inbox, b1, { flags: ['\\Seen'] });
        await store.appendMessage(inbox, b2, { flags: ['\\Deleted'], prefix: 'Delivered-To: bob@example.test\r\n' });
        const s = await store.getMailboxStatus(inbox);
        assert.equal(s.messages, 2);
        assert.equal(s.unseen, 1);
        assert.equal(s.deleted, 1);
        assert.equal(s.size, b1.size + b2.size + 'Delivered-To: bob@example.test\r\n'.length);
        assert.equal(s.uidNext, 3);
        assert.deepEqual(await store.getUsage(acc.id), { bytes: s.size, messages: 2 });
        await rejectsWith(store.getMailboxStatus(9999), 'not-found');
      });
    });

    describe('delivery and messages', () => {
      it('delivers one body to several accounts in one call with per-target prefix and flags', async () => {
        const bob = await newAccount('bob@example.test');
        const amy = await newAccount('amy@example.test');
        const raw = makeRawMessage('hello all', 'body text');
        const body = await putBody(store, raw);
        const date = new Date('2026-01-02T03:04:05Z');
        const res = await store.deliver(
          body,
          [
            { accountId: bob.id, prefix: 'Delivered-To: bob@example.test\r\n' },
            { accountId: amy.id, mailbox: 'Junk', flags: ['$Junk'] },
            { accountId: amy.id, mailbox: 'No Such Box' },
          ],
          date,
        );
        assert.equal(res.length, 3);
        assert.equal(res[0]!.mailboxId, await inboxOf(bob));
        assert.equal(res[1]!.mailboxId, (await store.getMailbox(amy.id, 'Junk'))!.id);
        assert.equal(res[2]!.mailboxId, await inboxOf(amy), 'a missing mailbox falls back to INBOX');
        const [m] = await store.getMessages(res[0]!.mailboxId, [res[0]!.uid]);
        assert.equal(m!.prefix, 'Delivered-To: bob@example.test\r\n');
        assert.equal(m!.size, raw.length + m!.prefix.length);
        assert.equal(m!.blobId, body.blobId);
        assert.equal(m!.internalDate.getTime(), date.getTime());
        assert.deepEqual(m!.structure, body.structure);
        assert.deepEqual(await store.blobs.read(m!.blobId), raw);
        const [j] = await store.getMessages(res[1]!.mailboxId, [res[1]!.uid]);
        assert.deepEqual(j!.flags, ['$Junk']);
        assert.equal(j!.prefix, '');
      });

      it('lists a maildrop for POP3: UID order, blob id and size, prefix and CRLF size, this mailbox only', async () => {
        const bob = await newAccount();
        // CRLF size of this body: one more octet per bare LF (3), and CRLF after the unterminated last line.
        const lf = Buffer.from('Subject: bare LF\n\nline one\nline two');
        const a = await putBody(store, makeRawMessage('first', 'one'));
        const b = await putBody(store, lf);
        const c = await putBody(store, makeRawMessage('elsewhere', 'not in INBOX'));
        const prefix = 'Return-Path: <a@example.test>\r\n';
        await store.deliver(a, [{ accountId: bob.id }]);
        await store.deliver(b, [{ accountId: bob.id }]);
        await store.deliver(c, [{ accountId: bob.id, mailbox: 'Archive' }]);
        await store.expunge(await inboxOf(bob), { uids: [1], onlyDeleted: false });
        await store.deliver(a, [{ accountId: bob.id, prefix }]);
        assert.deepEqual(await store.listMaildrop(await inboxOf(bob)), [
          { uid: 2, blobId: b.blobId, blobSize: lf.length, prefix: '', crlfSize: lf.length + 5 },
          { uid: 3, blobId: a.blobId, blobSize: a.size, prefix, crlfSize: a.structure.crlfSize },
        ]);
        const archive = (await store.getMailbox(bob.id, 'Archive'))!.id;
        assert.deepEqual((await store.listMaildrop(archive)).map((m) => m.blobId), [c.blobId]);
        const old = await putBody(store, makeRawMessage('stored before crlfSize', 'old'));
        delete old.structure.crlfSize;
        await store.deliver(old, [{ accountId: bob.id, mailbox: 'Archive' }]);
        assert.equal((await store.listMaildrop(archive))[1]!.crlfSize, null, 'no CRLF size in an older structure');
        const moved = await putBody(store, makeRawMessage('crlfSize stored last', 'moved'));
        const { crlfSize, ...rest } = moved.structure;
        await store.deliver({ ...moved, structure: { ...rest, crlfSize } }, [{ accountId: bob.id, mailbox: 'Archive' }]);
        assert.equal((await store.listMaildrop(archive))[2]!.crlfSize, crlfSize, 'found wherever the structure keeps it');
        assert.deepEqual(await store.listMaildrop(424242), []);
      });

      it('fails a delivery with an unknown account as a whole', async () => {
        const bob = await newAccount();
        const body = await freshBody(store);
        await rejectsWith(store.deliver(body, [{ accountId: bob.id }, { accountId: 424242 }]), 'not-found');
        assert.equal((await store.listMessages(await inboxOf(bob))).length, 0);
        await rejectsWith(store.appendMessage(424242, body), 'not-found');
      });

      it('stores one copy of identical bytes delivered twice', async () => {
        const bob = await newAccount();
        const raw = makeRawMessage('same', 'identical bytes');
        const b1 = await putBody(store, raw);
        const b2 = await putBody(store, raw);
        assert.equal(b1.blobId, b2.blobId);
        assert.equal(b1.blobId, createHash('sha256').update(raw).digest('hex'));
        await store.deliver(b1, [{ accountId: bob.id }]);
        await store.deliver(b2, [{ accountId: bob.id }]);
        assert.equal(await countBlobs(store, b1.blobId), 1);
        const msgs = await store.getMessages(await inboxOf(bob), [1, 2]);
        assert.deepEqual(msgs.map((m) => m.blobId), [b1.blobId, b1.blobId]);
      });

      it('keeps UIDs distinct and dense under many concurrent deliveries', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const bodies = await Promise.all(Array.from({ length: 60 }, () => freshBody(store)));
        const results = await Promise.all(
          bodies.map((b, i) =>
            i % 3 === 0 ? store.appendMessage(inbox, b).then((r) => [r]) : store.deliver(b, [{ accountId: bob.id }]),
          ),
        );
        const uids = results.map((r) => r[0]!.uid).sort((a, b) => a - b);
        assert.deepEqual(uids, Array.from({ length: 60 }, (_, i) => i + 1));
        const modseqs = new Set(results.map((r) => r[0]!.modseq));
        assert.equal(modseqs.size, 60, 'every delivery has its own modseq');
        const listed = await store.listMessages(inbox);
        assert.deepEqual(listed.map((m) => m.uid), uids);
        assert.equal((await store.getMailboxStatus(inbox)).uidNext, 61);
      });

      it('does not let one failing delivery fail concurrent ones', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const [b1, b2, b3, b4] = await Promise.all([1, 2, 3, 4].map(() => freshBody(store)));
        // Issued in the same turn, so an implementation with group commit batches them together.
        const settled = await Promise.allSettled([
          store.deliver(b1!, [{ accountId: bob.id }]),
          store.deliver(b2!, [{ accountId: 777777 }]),
          store.appendMessage(inbox, b3!, { flags: ['\\Bogus'] }),
          store.deliver(b4!, [{ accountId: bob.id }]),
        ]);
        assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
        assert.equal((await store.listMessages(await inboxOf(bob))).length, 2);
      });

      it('lists summaries by UID range and by changedSince', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        for (let i = 0; i < 5; i++) await store.appendMessage(inbox, await freshBody(store), { flags: i === 2 ? ['\\Flagged', 'custom'] : [] });
        const all = await store.listMessages(inbox);
        assert.deepEqual(all.map((m) => m.uid), [1, 2, 3, 4, 5]);
        assert.deepEqual(all[2]!.flags, ['\\Flagged', 'custom']);
        assert.deepEqual((await store.listMessages(inbox, { uidFrom: 2, uidTo: 4 })).map((m) => m.uid), [2, 3, 4]);
        const mark = all[4]!.modseq;
        await store.storeFlags(inbox, [2], 'add', ['\\Seen']);
        assert.deepEqual((await store.listMessages(inbox, { changedSince: mark })).map((m) => m.uid), [2]);
        assert.deepEqual((await store.getMessages(inbox, [5, 99, 1])).map((m) => m.uid), [1, 5]);
      });

      it('stores flags with set/add/remove, bumps modseq only for real changes', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        for (let i = 0; i < 3; i++) await store.appendMessage(inbox, await freshBody(store));
        const before = (await store.getMailbox(bob.id, 'INBOX'))!.highestModseq;
        const r1 = await store.storeFlags(inbox, [1, 2, 3], 'add', ['\\seen', 'Work']);
        assert.deepEqual(r1.updated.map((u) => u.flags), [['\\Seen', 'Work'], ['\\Seen', 'Work'], ['\\Seen', 'Work']]);
        assert.deepEqual(r1.modified, []);
        const ms = r1.updated.map((u) => u.modseq);
        assert.ok(ms[0]! > before && ms[1]! > ms[0]! && ms[2]! > ms[1]!, 'each changed message gets a new modseq');
        const r2 = await store.storeFlags(inbox, [1, 2], 'add', ['\\Seen', 'work']);
        assert.deepEqual(r2.updated, [], 'adding flags already present changes nothing');
        const r3 = await store.storeFlags(inbox, [2], 'remove', ['WORK']);
        assert.deepEqual(r3.updated[0]!.flags, ['\\Seen']);
        const r4 = await store.storeFlags(inbox, [3], 'set', ['\\Answered', '\\Draft']);
        assert.deepEqual(r4.updated[0]!.flags, ['\\Answered', '\\Draft']);
        assert.equal((await store.getMailbox(bob.id, 'INBOX'))!.highestModseq, r4.updated[0]!.modseq);
        await rejectsWith(store.storeFlags(inbox, [1], 'add', ['\\Nonsense']), 'invalid');
        await rejectsWith(store.storeFlags(9999, [1], 'add', ['\\Seen']), 'not-found');
      });

      it('honours UNCHANGEDSINCE (RFC 7162 §3.1.3)', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const a = await store.appendMessage(inbox, await freshBody(store));
        const b = await store.appendMessage(inbox, await freshBody(store));
        await store.storeFlags(inbox, [b.uid], 'add', ['\\Flagged']);
        const r = await store.storeFlags(inbox, [a.uid, b.uid], 'add', ['\\Seen'], { unchangedSince: b.modseq });
        assert.deepEqual(r.updated.map((u) => u.uid), [a.uid]);
        assert.deepEqual(r.modified, [b.uid]);
        const r0 = await store.storeFlags(inbox, [a.uid], 'add', ['\\Answered'], { unchangedSince: 0 });
        assert.deepEqual(r0.modified, [a.uid], 'UNCHANGEDSINCE 0 always fails');
      });

      it('expunges only \\Deleted messages for EXPUNGE and exactly the given UIDs otherwise, with tombstones', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        for (let i = 0; i < 5; i++) await store.appendMessage(inbox, await freshBody(store));
        await store.storeFlags(inbox, [2, 4], 'add', ['\\Deleted']);
        const m0 = (await store.getMailbox(bob.id, 'INBOX'))!.highestModseq;
        const e1 = await store.expunge(inbox, { onlyDeleted: true, uids: [1, 2, 3] });
        assert.deepEqual(e1.uids, [2]);
        assert.ok(e1.modseq > m0);
        const e2 = await store.expunge(inbox, { onlyDeleted: true });
        assert.deepEqual(e2.uids, [4]);
        assert.ok(e2.modseq > e1.modseq);
        const e3 = await store.expunge(inbox, { onlyDeleted: false, uids: [1, 5] });
        assert.deepEqual(e3.uids, [1, 5]);
        const none = await store.expunge(inbox, { onlyDeleted: true });
        assert.deepEqual(none.uids, []);
        assert.equal(none.modseq, e3.modseq, 'an empty expunge takes no modseq');
        assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [3]);
        assert.deepEqual(await store.vanishedSince(inbox, m0), [1, 2, 4, 5]);
        assert.deepEqual(await store.vanishedSince(inbox, e1.modseq), [1, 4, 5]);
        assert.deepEqual(await store.vanishedSince(inbox, e3.modseq), []);
        const next = await store.appendMessage(inbox, await freshBody(store));
        assert.equal(next.uid, 6, 'UIDs are not reused after expunge');
        assert.ok(next.modseq > e3.modseq);
      });

      it('copies in source UID order (COPYUID) and moves with one expunge modseq', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const archive = (await store.getMailbox(bob.id, 'Archive'))!;
        for (let i = 0; i < 4; i++) await store.appendMessage(inbox, await freshBody(store), { flags: i === 0 ? ['\\Seen'] : [] });
        await store.appendMessage(archive.id, await freshBody(store));
        const c = await store.copyMessages(inbox, [3, 1, 99], archive.id);
        assert.equal(c.destUidValidity, archive.uidValidity);
        assert.deepEqual(c.mapping, [
          { sourceUid: 1, destUid: 2 },
          { sourceUid: 3, destUid: 3 },
        ]);
        const copied = await store.getMessages(archive.id, [2]);
        assert.deepEqual(copied[0]!.flags, ['\\Seen']);
        assert.equal((await store.listMessages(inbox)).length, 4, 'copy leaves the source alone');
        const mv = await store.moveMessages(inbox, [2, 4], archive.id);
        assert.deepEqual(mv.mapping, [
          { sourceUid: 2, destUid: 4 },
          { sourceUid: 4, destUid: 5 },
        ]);
        assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [1, 3]);
        assert.deepEqual(await store.vanishedSince(inbox, mv.expungeModseq - 1), [2, 4]);
        await rejectsWith(store.copyMessages(inbox, [1], 9999), 'not-found');
      });

      it('indexes a mailbox for SELECT: UIDs, first unseen UID and keywords in use', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        assert.deepEqual(await store.getMailboxIndex(inbox), { uids: [], firstUnseenUid: 0, keywords: [] });
        await store.appendMessage(inbox, await freshBody(store), { flags: ['\\Seen', 'work'] });
        await store.appendMessage(inbox, await freshBody(store), { flags: ['\\Seen'] });
        await store.appendMessage(inbox, await freshBody(store), { flags: ['work', 'urgent'] });
        await store.appendMessage(inbox, await freshBody(store));
        await store.expunge(inbox, { uids: [2], onlyDeleted: false });
        const idx = await store.getMailboxIndex(inbox);
        assert.deepEqual(idx.uids, [1, 3, 4]);
        assert.equal(idx.firstUnseenUid, 3);
        assert.deepEqual([...idx.keywords].sort(), ['urgent', 'work']);
        await store.storeFlags(inbox, [3, 4], 'add', ['\\Seen']);
        assert.equal((await store.getMailboxIndex(inbox)).firstUnseenUid, 0);
      });

      it('lists the UIDs packed, dense or with gaps, and answers the index without UIDs when asked', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        assert.deepEqual([...(await store.getMailboxUids(inbox))], []);
        for (let i = 0; i < 5; i++) await store.appendMessage(inbox, await freshBody(store), i === 1 ? { flags: ['x'] } : {});
        const dense = await store.getMailboxUids(inbox);
        assert.ok(dense instanceof Uint32Array);
        assert.deepEqual([...dense], [1, 2, 3, 4, 5]);
        await store.expunge(inbox, { uids: [1, 3], onlyDeleted: false });
        assert.deepEqual([...(await store.getMailboxUids(inbox))], [2, 4, 5], 'gaps and a missing first UID');
        const idx = await store.getMailboxIndex(inbox, { uids: false });
        assert.deepEqual(idx.uids, []);
        assert.equal(idx.firstUnseenUid, 2);
        assert.deepEqual(idx.keywords, ['x']);
      });

      it('hands each message out as \\Recent once: claims move the watermark, peeks and STATUS do not', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        await store.appendMessage(inbox, await freshBody(store));
        await store.appendMessage(inbox, await freshBody(store));
        const peek = await store.claimRecent(inbox, { claim: false });
        assert.ok(peek.from <= 1 && peek.to === 3, `EXAMINE peeks at UIDs 1 and 2: ${JSON.stringify(peek)}`);
        assert.equal((await store.getMailboxStatus(inbox)).recent, 2);
        assert.deepEqual(await store.claimRecent(inbox, { claim: true }), peek, 'the first SELECT claims both');
        assert.deepEqual(await store.claimRecent(inbox, { claim: true }), { from: 3, to: 3 }, 'a second SELECT gets none');
        assert.equal((await store.getMailboxStatus(inbox)).recent, 0);
        await store.appendMessage(inbox, await freshBody(store));
        await store.appendMessage(inbox, await freshBody(store));
        assert.deepEqual(await store.claimRecent(inbox, { claim: true, upTo: 4 }), { from: 3, to: 4 }, 'claim up to a UID');
        assert.equal((await store.getMailboxStatus(inbox)).recent, 1);
        await rejectsWith(store.claimRecent(424242, { claim: false }), 'not-found');
      });

      it('reads summaries with envelopes for given UIDs, skipping missing ones, in UID order', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        await store.appendMessage(inbox, await putBody(store, makeRawMessage('First one', 'a')), { flags: ['\\Seen'] });
        await store.appendMessage(inbox, await putBody(store, makeRawMessage('Second one', 'b')));
        await store.appendMessage(inbox, await putBody(store, makeRawMessage('Third one', 'c')));
        const rows = await store.getEnvelopes(inbox, [3, 1, 99]);
        assert.deepEqual(rows.map((r) => r.uid), [1, 3]);
        assert.equal(rows[0]!.envelope.subject, 'First one');
        assert.equal(rows[1]!.envelope.subject, 'Third one');
        assert.deepEqual(rows[0]!.flags, ['\\Seen']);
        const full = await store.getMessages(inbox, [1, 3]);
        assert.deepEqual(rows.map((r) => r.envelope), full.map((m) => m.structure.envelope), 'the same envelope as in the structure');
        assert.equal(rows[1]!.size, full[1]!.size);
        assert.deepEqual(await store.getEnvelopes(inbox, []), []);
        assert.deepEqual((await store.getEnvelopes(inbox, [1, 2, 3])).map((r) => r.envelope.subject), ['First one', 'Second one', 'Third one']);
        assert.deepEqual((await store.getEnvelopes(inbox, [2, 1000])).map((r) => r.uid), [2], 'sparse UIDs');
        assert.deepEqual((await store.getEnvelopes(inbox, [3, 1])).map((r) => r.uid), [1, 3], 'dense UIDs with a gap');
      });

      it('finds full-text candidates by substring, case-insensitively, for BODY and TEXT', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        await store.appendMessage(inbox, await putBody(store, makeRawMessage('Quarterly report', 'numbers inside')));
        await store.appendMessage(inbox, await putBody(store, makeRawMessage('Lunch', 'the quarterly figures')));
        await store.appendMessage(inbox, await putBody(store, makeRawMessage('Other', 'nothing here')));
        assert.deepEqual(await store.searchText(inbox, ['QUARTER'], 'text'), [1, 2]);
        assert.deepEqual(await store.searchText(inbox, ['quarter'], 'body'), [2]);
        assert.deepEqual(await store.searchText(inbox, ['arterl', 'figur'], 'body'), [2]);
        assert.deepEqual(await store.searchText(inbox, ['zzzzz'], 'text'), []);
        const unindexed = await store.appendMessage(inbox, await putBody(store, makeRawMessage('raw', 'no index'), { index: false }));
        assert.ok((await store.searchText(inbox, ['zzzzz'], 'text')).includes(unindexed.uid), 'unindexed bodies stay candidates');
      });
    });

    describe('UID and MODSEQ monotonicity', () => {
      it('only ever increases UIDNEXT and HIGHESTMODSEQ, also across a reopen', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        let last = await store.getMailboxById(inbox);
        const check = async () => {
          const now = (await store.getMailboxById(inbox))!;
          assert.ok(now.uidNext >= last!.uidNext);
          assert.ok(now.highestModseq > last!.highestModseq, 'every change takes a new modseq');
          assert.equal(now.uidValidity, last!.uidValidity);
          last = now;
        };
        await store.appendMessage(inbox, await freshBody(store));
        await check();
        await store.storeFlags(inbox, [1], 'add', ['\\Deleted']);
        await check();
        await store.expunge(inbox, { onlyDeleted: true });
        await check();
        if (h.reopen !== undefined) {
          store = await h.reopen();
          const reopened = (await store.getMailboxById(inbox))!;
          assert.deepEqual(reopened, last);
        }
        const r = await store.appendMessage(inbox, await freshBody(store));
        assert.equal(r.uid, 2);
        await check();
        assert.deepEqual(await store.vanishedSince(inbox, 0), [1]);
      });
    });

    describe('change feed', () => {
      it('publishes exists, flags, expunge and mailbox-list events after the change', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const seen: MailboxChange[] = [];
        const acct: MailboxChange[] = [];
        const off = store.changes.subscribe({ mailboxId: inbox }, (c) => seen.push(c));
        store.changes.subscribe({ accountId: bob.id }, (c) => acct.push(c));
        const d = await store.deliver(await freshBody(store), [{ accountId: bob.id }]);
        assert.deepEqual(seen, [{ kind: 'exists', mailboxId: inbox, uids: [d[0]!.uid], modseq: d[0]!.modseq }]);
        const f = await store.storeFlags(inbox, [d[0]!.uid], 'add', ['\\Deleted']);
        assert.deepEqual(seen[1], { kind: 'flags', mailboxId: inbox, updates: f.updated });
        const e = await store.expunge(inbox, { onlyDeleted: true });
        assert.deepEqual(seen[2], { kind: 'expunge', mailboxId: inbox, uids: e.uids, modseq: e.modseq });
        await store.createMailbox(bob.id, 'New');
        assert.deepEqual(acct, [{ kind: 'mailboxes', accountId: bob.id }]);
        off();
        await store.appendMessage(inbox, await freshBody(store));
        assert.equal(seen.length, 3, 'no events after unsubscribing');
      });

      it('publishes nothing for a change that failed', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const seen: MailboxChange[] = [];
        store.changes.subscribe({ mailboxId: inbox }, (c) => seen.push(c));
        await assert.rejects(store.deliver(await freshBody(store), [{ accountId: bob.id }, { accountId: 31337 }]));
        assert.deepEqual(seen, []);
      });
    });

    describe('queue', () => {
      it('walks an entry through queued → active → deferred → active → done', async () => {
        const body = await freshBody(store);
        const e = await store.enqueue({
          sender: 'bob@example.test',
          recipients: [
            { address: 'x@remote.test', orcpt: 'rfc822;x@remote.test', notify: ['FAILURE', 'DELAY'] },
            { address: 'y@remote.test' },
          ],
          blobId: body.blobId,
          size: body.size,
          envid: 'ENV1',
          ret: 'HDRS',
          smtputf8: true,
        });
        assert.equal(e.state, 'queued');
        assert.equal(e.attempts, 0);
        assert.equal(e.smtputf8, true);
        assert.equal(e.eightBit, false);
        assert.deepEqual(e.recipients.map((r) => [r.address, r.state, r.orcpt, r.notify]), [
          ['x@remote.test', 'pending', 'rfc822;x@remote.test', ['FAILURE', 'DELAY']],
          ['y@remote.test', 'pending', null, null],
        ]);
        const claimed = await store.claimDue(new Date(Date.now() + 1000), 10);
        assert.deepEqual(claimed.map((c) => [c.id, c.state]), [[e.id, 'active']]);
        assert.deepEqual(await store.claimDue(new Date(Date.now() + 1000), 10), [], 'an active entry is not claimed twice');
        const later = new Date(Date.now() + 60_000);
        const d = await store.recordAttempt(e.id, {
          recipients: [
            { address: 'x@remote.test', state: 'delivered', lastResult: '250 ok' },
            { address: 'y@remote.test', state: 'deferred', lastResult: '451 try later' },
          ],
          state: 'deferred',
          nextAttemptAt: later,
          lastError: '451 try later',
        });
        assert.equal(d.state, 'deferred');
        assert.equal(d.attempts, 1);
        assert.equal(d.nextAttemptAt.getTime(), later.getTime());
        assert.deepEqual(d.recipients.map((r) => [r.state, r.attempts]), [['delivered', 1], ['deferred', 1]]);
        assert.deepEqual(await store.claimDue(new Date(), 10), [], 'not due yet');
        const again = await store.claimDue(new Date(later.getTime() + 1), 10);
        assert.equal(again.length, 1);
        const done = await store.recordAttempt(e.id, {
          recipients: [{ address: 'y@remote.test', state: 'delivered', lastResult: '250 ok' }],
          state: 'done',
          delayWarned: true,
        });
        assert.equal(done.state, 'done');
        assert.equal(done.delayWarned, true);
        assert.equal(done.lastError, '451 try later');
        await store.deleteQueueEntry(e.id);
        assert.equal(await store.getQueueEntry(e.id), null);
        await rejectsWith(store.deleteQueueEntry(e.id), 'not-found');
        await rejectsWith(store.setQueueState(e.id, 'held'), 'not-found');
      });

      it('completes an entry in one call: final results recorded and the entry deleted, or nothing changed', async () => {
        const body = await freshBody(store);
        const e = await store.enqueue({
          sender: 'bob@example.test',
          recipients: [{ address: 'x@remote.test' }, { address: 'y@remote.test' }, { address: 'z@remote.test' }],
          blobId: body.blobId,
          size: body.size,
        });
        await store.claimDue(new Date(Date.now() + 1000), 10);
        await store.recordAttempt(e.id, {
          recipients: [{ address: 'x@remote.test', state: 'delivered', lastResult: '250 ok' }],
          state: 'deferred',
        });
        // y still pending: refused, and the failed attempt changed nothing.
        await rejectsWith(
          store.completeQueueEntry(e.id, [{ address: 'z@remote.test', state: 'failed', lastResult: '550 no' }]),
          'invalid',
        );
        await rejectsWith(
          store.completeQueueEntry(e.id, [
            { address: 'y@remote.test', state: 'deferred', lastResult: '451 later' },
            { address: 'z@remote.test', state: 'failed', lastResult: '550 no' },
          ]),
          'invalid',
        );
        await rejectsWith(
          store.completeQueueEntry(e.id, [
            { address: 'y@remote.test', state: 'delivered', lastResult: '250 ok' },
            { address: 'nobody@remote.test', state: 'failed', lastResult: '550 no' },
          ]),
          'not-found',
        );
        const kept = await store.getQueueEntry(e.id);
        assert.deepEqual(kept!.recipients.map((r) => [r.address, r.state, r.attempts]), [
          ['x@remote.test', 'delivered', 1],
          ['y@remote.test', 'pending', 0],
          ['z@remote.test', 'pending', 0],
        ]);
        await store.completeQueueEntry(e.id, [
          { address: 'y@remote.test', state: 'delivered', lastResult: '250 ok' },
          { address: 'z@remote.test', state: 'failed', lastResult: '550 no' },
        ]);
        assert.equal(await store.getQueueEntry(e.id), null);
        assert.deepEqual(await store.listQueue(), []);
        await rejectsWith(store.completeQueueEntry(e.id, []), 'not-found');
      });

      it('keeps concurrent queue writes apart: one failing call does not undo the others', async () => {
        const body = await freshBody(store);
        const input = { sender: '', recipients: [{ address: 'x@remote.test' }], blobId: body.blobId, size: body.size };
        const [a, b] = await Promise.all([store.enqueue(input), store.enqueue(input)]);
        await store.claimDue(new Date(Date.now() + 1000), 10);
        const results = await Promise.allSettled([
          store.completeQueueEntry(a.id, [{ address: 'x@remote.test', state: 'delivered', lastResult: '250 ok' }]),
          store.completeQueueEntry(b.id, [{ address: 'other@remote.test', state: 'delivered', lastResult: '250 ok' }]),
          store.enqueue({ ...input, blobId: 'not-a-blob-id' }),
          store.setQueueState(b.id, 'held'),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
        assert.deepEqual((await store.listQueue()).map((q) => [q.id, q.state]), [[b.id, 'held']]);
      });

      it('claims at most `limit` due entries, oldest first, and requeues active ones', async () => {
        const body = await freshBody(store);
        const input = { sender: '', recipients: [{ address: 'x@remote.test' }], blobId: body.blobId, size: body.size };
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await store.enqueue(input)).id);
        assert.deepEqual([...ids].sort(), ids, 'queue ids sort by creation');
        assert.equal(new Set(ids).size, 5);
        const future = await store.enqueue({ ...input, nextAttemptAt: new Date(Date.now() + 3_600_000) });
        const first = await store.claimDue(new Date(), 3);
        assert.deepEqual(first.map((c) => c.id), ids.slice(0, 3));
        const [c1, c2] = await Promise.all([store.claimDue(new Date(), 10), store.claimDue(new Date(), 10)]);
        assert.deepEqual([...c1!, ...c2!].map((c) => c.id).sort(), ids.slice(3), 'concurrent claims never share an entry');
        await store.setQueueState(ids[0]!, 'held');
        assert.deepEqual((await store.listQueue({ state: 'held' })).map((q) => q.id), [ids[0]]);
        assert.equal(await store.requeueActive(), 4);
        assert.deepEqual((await store.listQueue({ state: 'queued' })).map((q) => q.id), [...ids.slice(1), future.id]);
        assert.equal((await store.listQueue()).length, 6);
        assert.equal((await store.getQueueEntry(future.id))!.state, 'queued');
      });
    });

    describe('garbage collection', () => {
      it('keeps referenced and recent blobs, removes old unreferenced ones and their body rows', async () => {
        const bob = await newAccount();
        const inbox = await inboxOf(bob);
        const kept = await freshBody(store);
        await store.appendMessage(inbox, kept);
        const queued = await freshBody(store);
        await store.enqueue({ sender: '', recipients: [{ address: 'x@remote.test' }], blobId: queued.blobId, size: queued.size });
        const orphan = await freshBody(store);
        const gone = await freshBody(store);
        const m = await store.appendMessage(inbox, gone);
        await store.expunge(inbox, { onlyDeleted: false, uids: [m.uid] });
        assert.equal(await store.collectGarbage(), 0, 'nothing is older than the default grace period');
        await sleep(20);
        assert.equal(await store.collectGarbage({ graceMs: 0 }), 2);
        assert.equal(await store.blobs.has(kept.blobId), true);
        assert.equal(await store.blobs.has(queued.blobId), true);
        assert.equal(await store.blobs.has(orphan.blobId), false);
        assert.equal(await store.blobs.has(gone.blobId), false);
        const [msg] = await store.getMessages(inbox, [1]);
        assert.deepEqual(await store.blobs.read(msg!.blobId), await store.blobs.read(kept.blobId));
        // Re-delivering content whose body row was collected works: a fresh body row is written.
        const again = await putBody(store, await store.blobs.read(kept.blobId));
        const r = await store.appendMessage(inbox, { ...gone, blobId: again.blobId, size: again.size });
        assert.equal((await store.getMessages(inbox, [r.uid]))[0]!.blobId, again.blobId);
      });
    });

    describe('blobs', () => {
      it('stores, reads ranges and streams, and refuses unknown ids', async () => {
        const data = Buffer.from('0123456789abcdef');
        const ref = await store.blobs.put(data);
        assert.equal(ref.size, 16);
        assert.deepEqual(await store.blobs.readRange(ref.id, 4, 8), Buffer.from('4567'));
        const chunks: Buffer[] = [];
        for await (const c of store.blobs.createReadStream(ref.id, { start: 10, end: 16 })) chunks.push(c as Buffer);
        assert.equal(Buffer.concat(chunks).toString(), 'abcdef');
        const w = store.blobs.createWriter();
        await w.write(data.subarray(0, 5));
        await w.write(data.subarray(5));
        assert.deepEqual(await w.commit(), ref, 'the streaming writer computes the same address');
        assert.equal(await countBlobs(store, ref.id), 1);
        const missing = 'f'.repeat(64);
        assert.equal(await store.blobs.has(missing), false);
        await rejectsWith(store.blobs.read(missing), 'not-found');
        await store.blobs.delete(ref.id);
        assert.equal(await store.blobs.has(ref.id), false);
      });
    });
  });
}
