/**
 * Hand-built message fixtures for store tests: a raw message, a minimal MessageStructure describing it (no
 * parser involved), and `putBody` which writes the bytes to a store's BlobStore and returns a BodyInput.
 */

import type { MessageStructure } from '../../src/mail/structure.js';
import { parseMessage } from '../../src/mail/parse-message.js';
import { addressSearchTexts, subjectSearchText } from '../../src/mail/search-text.js';
import type { BodyInput, Store } from '../../src/store/types.js';

/** A small RFC 5322 message with CRLF line ends. */
export function makeRawMessage(subject: string, text: string): Buffer {
  return Buffer.from(
    `From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${encodeURIComponent(subject)}@example.test>\r\n\r\n${text}\r\n`,
  );
}

/** The cached parse of `raw`, exactly as delivery computes it. */
export function makeStructure(raw: Buffer): MessageStructure {
  return parseMessage(raw);
}

/** Stores `raw` durably in the store's blobs and returns the BodyInput that references it. */
export async function putBody(store: Store, raw: Buffer, opts: { index?: boolean } = {}): Promise<BodyInput> {
  const ref = await store.blobs.put(raw);
  const structure = makeStructure(raw);
  const body: BodyInput = { blobId: ref.id, size: ref.size, structure };
  if (opts.index !== false) {
    const text = raw.toString('utf8');
    body.searchText = { headers: text.slice(0, structure.headerEnd), body: text.slice(structure.headerEnd) };
    // As delivery does (mail/search-text.ts extractSearchText).
    const header = raw.subarray(0, structure.headerEnd);
    const subject = subjectSearchText(header);
    if (subject !== undefined) body.searchText.subject = subject;
    const addresses = addressSearchTexts(header);
    if (addresses !== undefined) body.searchText.addresses = addresses;
  }
  return body;
}

/** Puts and returns a fresh body with distinct content. */
let counter = 0;
export async function freshBody(store: Store, text = 'hello'): Promise<BodyInput> {
  counter++;
  return putBody(store, makeRawMessage(`msg ${counter} ${process.pid} ${Date.now()}`, text));
}
