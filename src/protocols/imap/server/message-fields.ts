/**
 * Decoded views of a stored message for SEARCH, SORT and THREAD: header values with RFC 2047 words
 * decoded, the decoded text of the body (search-text.ts), and the RFC 5256
 * base subject. Header bytes are read once per message (prefix + top header block) and cached.
 */

import { parseHeaderBlock, type HeaderField } from '../../../mail/headers.js';
import { extractSearchText } from '../../../mail/search-text.js';
import { decodeWords } from '../../../mail/sort-keys.js';
import type { BlobStore, StoredMessage } from '../../../store/types.js';

// The RFC 5256 key functions live with the stored sort keys (mail/sort-keys.ts); THREAD and SORT import them here.
export { baseSubject, decodeWords, sentTime } from '../../../mail/sort-keys.js';

export class MessageFields {
  private headers: HeaderField[] | null = null;
  private text: { headers: string; body: string } | null = null;

  constructor(
    private readonly blobs: BlobStore,
    readonly msg: StoredMessage,
  ) {}

  async headerFields(): Promise<HeaderField[]> {
    if (!this.headers) {
      const h = await this.blobs.readRange(this.msg.blobId, 0, this.msg.structure.headerEnd);
      this.headers = parseHeaderBlock(Buffer.concat([Buffer.from(this.msg.prefix, 'utf8'), h]));
    }
    return this.headers;
  }

  /** Decoded values of every field called `name`. */
  async header(name: string): Promise<string[]> {
    const lower = name.toLowerCase();
    return (await this.headerFields()).filter((f) => f.name.toLowerCase() === lower).map((f) => decodeWords(f.value));
  }

  /** Decoded header and body text (RFC 9051 §6.4.4 BODY/TEXT match on decoded text). */
  async decodedText(): Promise<{ headers: string; body: string }> {
    if (!this.text) {
      const raw = await this.blobs.read(this.msg.blobId);
      const t = extractSearchText(raw, this.msg.structure);
      this.text = { headers: this.msg.prefix + t.headers, body: t.body };
    }
    return this.text;
  }
}
