#!/usr/bin/env node
// Prints how many messages pochta's store holds (the benchmarks' --count-cmd). Read-only.
import Database from 'better-sqlite3';
import { join } from 'node:path';
const db = new Database(join(process.argv[2] ?? 'bench-data', 'pochta.db'), { readonly: true, fileMustExist: true });
console.log(db.prepare('SELECT count(*) AS n FROM messages').get().n);
db.close();
