/**
 * POP3's read of a maildrop (Store.listMaildrop): one narrow query over a mailbox's messages in UID order, with
 * the blob id, blob size, per-recipient prefix and the body's CRLF size. Nothing is parsed in JavaScript.
 *
 * The CRLF size lives in the stored structure JSON (MessageStructure.crlfSize). JSON.stringify of a parse puts it
 * second, right after the version (`{"version":1,"crlfSize":15013,...`): when the text starts that way the number
 * is cut out with string functions (a trailing `*` GLOB stops at the prefix; CAST takes the leading integer),
 * which costs a third of json_extract's full parse of the ~1 KB text. Any other layout goes through
 * json_extract, so the result is the same for every structure (null when it has no crlfSize). The prefix test
 * is exact: `,"crlfSize":` cannot occur inside a JSON string (its quote would be escaped) and a one- or two-digit
 * version leaves no room for a nested object, so the match is the top-level key.
 *
 * Side effects: none (reads only).
 */

import type { MaildropEntry } from '../types.js';
import type { Statements } from './statements.js';

type MaildropRaw = [uid: number, blobId: string, blobSize: number, prefix: string, crlfSize: number | null];

const CRLF_SIZE = `CASE
    WHEN b.structure GLOB '{"version":[0-9],"crlfSize":[0-9]*' OR b.structure GLOB '{"version":[0-9][0-9],"crlfSize":[0-9]*'
    THEN CAST(substr(b.structure, instr(b.structure, ',"crlfSize":') + 12, 20) AS INTEGER)
    ELSE json_extract(b.structure, '$.crlfSize') END`;

export class MaildropOps {
  constructor(private readonly st: Statements) {}

  list(mailboxId: number): MaildropEntry[] {
    const rows = this.st
      .get(
        `SELECT m.uid, b.blob_id, b.size, m.prefix, ${CRLF_SIZE}
         FROM messages m JOIN bodies b ON b.id = m.body_id
         WHERE m.mailbox_id = ? ORDER BY m.uid`,
      )
      .raw()
      .all(mailboxId) as MaildropRaw[];
    const out = new Array<MaildropEntry>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i] = { uid: r[0], blobId: r[1], blobSize: r[2], prefix: r[3], crlfSize: typeof r[4] === 'number' ? r[4] : null };
    }
    return out;
  }
}
