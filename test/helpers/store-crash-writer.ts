/**
 * Child process for test/e2e/store-crash.test.ts: writes messages through the real store (blob put, then
 * deliver) forever, several at a time so group commit batches them, and prints `committed <uid> <sha256>` after
 * each deliver() resolved. The test SIGKILLs it at an arbitrary point.
 *
 * Usage: node --import tsx test/helpers/store-crash-writer.ts <data-dir>
 */

import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeStructure } from './store-fixtures.js';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: store-crash-writer.ts <data-dir>\n');
  process.exit(2);
}

const ADDRESS = 'crash@example.test';
const store = await openSqliteStore({ dir });
if ((await store.getDomain('example.test')) === null) await store.addDomain({ name: 'example.test' });
const account = (await store.getAccount(ADDRESS)) ?? (await store.createAccount({ address: ADDRESS, passwordHash: 'x' }));
// Synchronous writes: a line is on the pipe before the next step, so SIGKILL cannot lose a reported commit's line
// after a later one.
writeSync(1, 'ready\n');

async function one(): Promise<void> {
  const raw = Buffer.concat([
    Buffer.from(`Subject: crash ${Date.now()}\r\n\r\n`),
    Buffer.from(randomBytes(512 + Math.floor(Math.random() * 16384)).toString('base64')),
  ]);
  const ref = await store.blobs.put(raw);
  const [res] = await store.deliver({ blobId: ref.id, size: ref.size, structure: makeStructure(raw) }, [{ accountId: account.id }]);
  writeSync(1, `committed ${res!.uid} ${ref.id}\n`);
}

for (;;) {
  await Promise.all([one(), one(), one(), one()]);
}
