/**
 * Serves message content for FETCH from the cached structure plus byte ranges of the body blob: the
 * served message is `prefix + blob` (prefix = per-recipient Return-Path/Delivered-To lines), and every
 * structure offset is relative to the blob. Nothing is re-parsed: sections are located in the MimePart
 * tree (RFC 9051 §6.4.5 part numbering) and cut out of the blob.
 * Side effects: blob reads (the whole blob is read at most once per message and cached here).
 */

import { selectHeaderFields } from '../../../mail/headers.js';
import { decodeTransferEncoding } from '../../../mail/search-text.js';
import type { MimePart } from '../../../mail/structure.js';
import type { BlobStore, StoredMessage } from '../../../store/types.js';
import type { Section } from '../proto/index.js';

/** The children a part number indexes into (RFC 9051 §6.4.5): a multipart's parts, or a message's body parts. */
function childrenOf(p: MimePart): MimePart[] | null {
  if (p.parts) return p.parts;
  if (p.message) return p.message.root.parts ?? [p.message.root];
  return null;
}

/** The part at `path` (1-based numbers), or null when there is none. A non-multipart message has part 1. */
export function findPart(root: MimePart, path: readonly number[]): MimePart | null {
  let list: MimePart[] = root.parts ?? [root];
  let cur: MimePart | null = null;
  for (let i = 0; i < path.length; i++) {
    if (cur) {
      const ch = childrenOf(cur);
      if (!ch) return null;
      list = ch;
    }
    cur = list[path[i]! - 1] ?? null;
    if (!cur) return null;
  }
  return cur;
}

export type BinaryResult = { kind: 'ok'; data: Buffer } | { kind: 'missing' } | { kind: 'unknown-cte' };

const IDENTITY_CTE = new Set(['7BIT', '8BIT', 'BINARY', '']);

export class MessageContent {
  private whole: Buffer | null = null;
  private readonly prefix: Buffer;

  constructor(
    private readonly blobs: BlobStore,
    readonly msg: StoredMessage,
  ) {
    this.prefix = Buffer.from(msg.prefix, 'utf8');
  }

  private async blob(): Promise<Buffer> {
    if (!this.whole) this.whole = await this.blobs.read(this.msg.blobId);
    return this.whole;
  }

  private async range(start: number, end: number): Promise<Buffer> {
    if (end <= start) return Buffer.alloc(0);
    if (this.whole) return this.whole.subarray(start, end);
    return this.blobs.readRange(this.msg.blobId, start, end);
  }

  /** RFC822 / BODY[]: the whole served message. */
  async full(): Promise<Buffer> {
    const b = await this.blob();
    return this.prefix.length ? Buffer.concat([this.prefix, b]) : b;
  }

  /** RFC822.HEADER / BODY[HEADER]: prefix + the top header block, blank line included. */
  async header(): Promise<Buffer> {
    const h = await this.range(0, this.msg.structure.headerEnd);
    return this.prefix.length ? Buffer.concat([this.prefix, h]) : h;
  }

  /** RFC822.TEXT / BODY[TEXT]. */
  async text(): Promise<Buffer> {
    const s = this.msg.structure;
    return this.range(s.headerEnd, s.root.bodyEnd);
  }

  /** BODY[section] without the partial; null when the part does not exist. */
  async section(section: Section): Promise<Buffer | null> {
    const s = this.msg.structure;
    if (section.part.length === 0) {
      switch (section.text) {
        case null:
          return this.full();
        case 'HEADER':
          return this.header();
        case 'TEXT':
          return this.text();
        case 'HEADER.FIELDS':
        case 'HEADER.FIELDS.NOT': {
          const h = await this.header();
          return selectHeaderFields(h, 0, h.length, section.fields ?? [], section.text === 'HEADER.FIELDS.NOT');
        }
        default:
          return null;
      }
    }
    const part = findPart(s.root, section.part);
    if (!part) return null;
    switch (section.text) {
      case null:
        return this.range(part.bodyStart, part.bodyEnd);
      case 'MIME':
        return this.range(part.headerStart, part.bodyStart);
      default: {
        // HEADER, HEADER.FIELDS(.NOT) and TEXT of a part apply to an encapsulated message (RFC 9051 §6.4.5).
        const inner = part.message?.root;
        if (!inner) return null;
        if (section.text === 'TEXT') return this.range(inner.bodyStart, inner.bodyEnd);
        const h = await this.range(inner.headerStart, inner.bodyStart);
        if (section.text === 'HEADER') return h;
        return selectHeaderFields(h, 0, h.length, section.fields ?? [], section.text === 'HEADER.FIELDS.NOT');
      }
    }
  }

  /** RFC 3516 BINARY[part]: the part's body with its Content-Transfer-Encoding removed. */
  async binary(path: readonly number[]): Promise<BinaryResult> {
    if (path.length === 0) return { kind: 'ok', data: await this.full() };
    const part = findPart(this.msg.structure.root, path);
    if (!part) return { kind: 'missing' };
    const body = await this.range(part.bodyStart, part.bodyEnd);
    const cte = part.encoding.toUpperCase();
    if (IDENTITY_CTE.has(cte) || part.parts) return { kind: 'ok', data: body };
    if (cte !== 'BASE64' && cte !== 'QUOTED-PRINTABLE') return { kind: 'unknown-cte' };
    return { kind: 'ok', data: decodeTransferEncoding(body, cte) };
  }
}

/** RFC 9051 §6.4.5 partial: `<offset.length>` cut of the data (empty when offset is past the end). */
export function applyPartial(data: Buffer, partial: { offset: number; length: number } | null): Buffer {
  if (!partial) return data;
  if (partial.offset >= data.length) return Buffer.alloc(0);
  return data.subarray(partial.offset, partial.offset + partial.length);
}
