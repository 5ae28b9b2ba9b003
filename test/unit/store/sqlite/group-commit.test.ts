import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../../../src/store/sqlite/group-commit.js';
import type { MailboxChange } from '../../../../src/store/types.js';

/** A database whose outermost transactions (the COMMITs) are counted. */
function countingDb() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER UNIQUE)');
  let commits = 0;
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') {
        return (fn: () => unknown) => {
          const tx = target.transaction(fn);
          const outer = (run: () => unknown) => {
            if (!target.inTransaction) commits++;
            return run();
          };
          const wrapped = (() => outer(() => tx())) as unknown as typeof tx;
          wrapped.immediate = (() => outer(() => tx.immediate())) as typeof tx.immediate;
          return wrapped;
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db, proxy, commits: () => commits };
}

describe('GroupCommit', () => {
  it('commits calls made in the same event-loop turn together, once', async () => {
    const { db, proxy, commits } = countingDb();
    const published: MailboxChange[] = [];
    const gc = new GroupCommit(proxy, (e) => published.push(...e), true);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gc.submit((events) => {
          db.prepare('INSERT INTO t (v) VALUES (?)').run(i);
          events.push({ kind: 'mailboxes', accountId: i });
          return i * 2;
        }),
      ),
    );
    assert.deepEqual(results, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    assert.equal(commits(), 1);
    assert.equal(published.length, 10);
    assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 10);
  });

  it('rolls back only the failing item of a batch and publishes nothing for it', async () => {
    const { db, proxy } = countingDb();
    const published: MailboxChange[] = [];
    const gc = new GroupCommit(proxy, (e) => published.push(...e), true);
    const item = (v: number) =>
      gc.submit((events) => {
        events.push({ kind: 'mailboxes', accountId: v });
        db.prepare('INSERT INTO t (v) VALUES (?)').run(v + 100);
        db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
      });
    const settled = await Promise.allSettled([item(1), item(1), item(2)]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').pluck().all(), [1, 2, 101, 102]);
    assert.deepEqual(published.map((e) => (e.kind === 'mailboxes' ? e.accountId : -1)), [1, 2]);
  });

  it('commits each call on its own when disabled', async () => {
    const { db, proxy, commits } = countingDb();
    const gc = new GroupCommit(proxy, () => undefined, false);
    await Promise.all([1, 2, 3].map((v) => gc.submit(() => db.prepare('INSERT INTO t (v) VALUES (?)').run(v))));
    assert.equal(commits(), 3);
  });
});
