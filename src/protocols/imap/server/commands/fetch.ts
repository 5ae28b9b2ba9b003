/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9) with BINARY (RFC 3516), CONDSTORE CHANGEDSINCE/MODSEQ
 * (RFC 7162 §3.1.4) and QRESYNC VANISHED (§3.2.6). UID/FLAGS/MODSEQ-only fetches get their lines made by SQLite
 * (Store.listLines) when the batch is a run of the view's UIDs, else a packed flag text per batch (Store.listFlagText)
 * formatted into bytes; other summary items read summaries. ENVELOPE/BODYSTRUCTURE/BODY alone, once cached, are
 * served the same way from the cached texts only. ENVELOPE, BODYSTRUCTURE
 * and BODY with summary items are written from texts cached per body in the store (Store.getBodyCache, under
 * BODY_CACHE_VERSION): the first such FETCH of a body encodes them and stores them (one write per batch), unless
 * they depend on UTF8=ACCEPT. Others read the stored structure and byte ranges (message-content.ts). Non-PEEK
 * body fetches set \Seen (unless read-only) and report the new FLAGS in the same response. Work is done in
 * batches so memory stays bounded.
 */
import type { MimePart } from '../../../../mail/structure.js';
import type { BodyCacheEntry, BodyCacheSummary, FlagListing, FlagRow, LinePart, MessageSummary, StoredMessage } from '../../../../store/types.js';
import {
  atom,
  BODY_CACHE_VERSION,
  compressNumbers,
  encodeValue,
  envelopeText,
  envelopeValue,
  bodyStructureValue,
  fetchResponse,
  fetchResponseLabel,
  fetchSetsSeen,
  flagList,
  formatInternalDate,
  literal,
  sequenceSetRanges,
  type EncodeOptions,
  type FetchAtt,
  type ImapValue,
} from '../../proto/index.js';
import { bad, defineCommand, no, ok, type SessionContext } from '../command.js';
import { applyPartial, MessageContent } from '../message-content.js';
import { SELECTED, type SelectedState } from '../state.js';

const SUMMARY_ATTS = new Set<FetchAtt['kind']>(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ']);
/** Served from the summary plus the cached ENVELOPE / BODYSTRUCTURE / BODY texts (Store.getBodyCache). */
const CACHED_ATTS = new Set<FetchAtt['kind']>([...SUMMARY_ATTS, 'ENVELOPE', 'BODYSTRUCTURE', 'BODY']);
const SUMMARY_BATCH = 5000;
const CACHED_BATCH = 2000;
const FULL_BATCH = 100;

class UnknownCte extends Error {}

/** The BODYSTRUCTURE and BODY texts of a body as this session encodes them, and whether they can be cached. */
interface BodyTexts {
  bodyStructure: string;
  body: string;
  /** The same text without and with UTF-8 (RFC 6855) in quoted strings: valid for every session. */
  cacheable: boolean;
}

function bodyTexts(root: MimePart, opts: EncodeOptions): BodyTexts {
  const enc = (extensible: boolean, utf8: boolean): string =>
    encodeValue(bodyStructureValue(root, extensible), { ...opts, utf8 }).toString('utf8');
  const bs = enc(true, false);
  const b = enc(false, false);
  const bsU = enc(true, true);
  const bU = enc(false, true);
  const cacheable = bs === bsU && b === bU;
  return opts.utf8 ? { bodyStructure: bsU, body: bU, cacheable } : { bodyStructure: bs, body: b, cacheable };
}

/** The texts of one message for the cached fast path; new cacheable texts (or '' marks) are added to `fill`. */
function cachedTexts(
  c: BodyCacheSummary,
  wantEnvelope: boolean,
  wantBody: boolean,
  opts: EncodeOptions,
  fill: BodyCacheEntry[],
): { envelope: string | null; body: BodyTexts | null } {
  let envelope = c.envelopeText;
  let body: BodyTexts | null = c.bodyStructure !== null && c.body !== null ? { bodyStructure: c.bodyStructure, body: c.body, cacheable: true } : null;
  let entry: BodyCacheEntry | null = null;
  if (wantEnvelope && envelope === null && c.envelope) {
    // First FETCH ENVELOPE of this body: remember the text unless it depends on UTF8=ACCEPT ('' marks that).
    const plain = envelopeText(c.envelope, { ...opts, utf8: false });
    const utf8 = envelopeText(c.envelope, { ...opts, utf8: true });
    envelope = opts.utf8 ? utf8 : plain;
    entry = { uid: c.uid, envelope: plain === utf8 ? plain : '' };
  }
  if (wantBody && body === null && c.structure) {
    body = bodyTexts(c.structure.root, opts);
    entry ??= { uid: c.uid };
    entry.bodyStructure = body.cacheable ? body.bodyStructure : '';
    entry.body = body.cacheable ? body.body : '';
  }
  if (entry) fill.push(entry);
  return { envelope, body };
}

/** Items answered from the summary, synchronously; undefined otherwise. */
function summaryValue(att: FetchAtt, m: MessageSummary): ImapValue | undefined {
  switch (att.kind) {
    case 'UID':
      return m.uid;
    case 'FLAGS':
      return flagList(m.flags);
    case 'INTERNALDATE':
      return atom(formatInternalDate(m.internalDate));
    case 'RFC822.SIZE':
      return m.size;
    case 'MODSEQ':
      return [m.modseq];
    default:
      return undefined;
  }
}

/**
 * The wire form of a summary item, written straight into a string: numbers, the quoted INTERNALDATE and a
 * list of flag atoms are exactly what the generic encoder (proto/encode.ts) would produce, without a Buffer
 * per token. Undefined for any other item.
 */
function summaryText(att: FetchAtt, m: MessageSummary): string | undefined {
  switch (att.kind) {
    case 'UID':
      return String(m.uid);
    case 'FLAGS':
      return `(${m.flags.join(' ')})`;
    case 'INTERNALDATE':
      return formatInternalDate(m.internalDate);
    case 'RFC822.SIZE':
      return String(m.size);
    case 'MODSEQ':
      return `(${m.modseq})`;
    default:
      return undefined;
  }
}

/**
 * One FETCH response for the fast path (summary items plus the cached ENVELOPE/BODYSTRUCTURE/BODY texts), as
 * text whose UTF-8 encoding is the response (RFC 9051 §7.5.2 syntax).
 */
function fastResponse(
  seq: number,
  atts: readonly FetchAtt[],
  labels: readonly string[],
  m: MessageSummary,
  envelope: string | null,
  body: BodyTexts | null,
): string {
  let line = `* ${seq} FETCH (`;
  for (let i = 0; i < atts.length; i++) {
    const att = atts[i]!;
    if (i) line += ' ';
    line += labels[i]! + ' ';
    const t = summaryText(att, m);
    if (t !== undefined) line += t;
    else if (att.kind === 'ENVELOPE') line += envelope ?? 'NIL';
    else if (att.kind === 'BODYSTRUCTURE') line += body?.bodyStructure ?? 'NIL';
    else if (att.kind === 'BODY') line += body?.body ?? 'NIL';
  }
  return line + ')\r\n';
}

/** Items answered from the cached texts alone (Store.getCachedTexts), without a summary per message. */
const TEXT_ATTS = new Set<FetchAtt['kind']>(['UID', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY']);

/**
 * The responses of one batch from the cached texts alone (FETCH BODYSTRUCTURE once the cache is filled), as the
 * buffers to write in order, or null when a message misses a text (the caller then takes the path that encodes
 * and stores it).
 */
async function textsBatch(
  ctx: SessionContext,
  sel: SelectedState,
  atts: readonly FetchAtt[],
  labels: readonly string[],
  chunk: number[],
): Promise<readonly Buffer[] | null> {
  const want = {
    envelope: atts.some((a) => a.kind === 'ENVELOPE'),
    bodyStructure: atts.some((a) => a.kind === 'BODYSTRUCTURE'),
    body: atts.some((a) => a.kind === 'BODY'),
  };
  const first = chunk[0]!;
  const last = chunk[chunk.length - 1]!;
  const firstSeq = sel.view.seqOf(first);
  if (last - first + 1 === chunk.length && firstSeq > 0 && sel.view.seqOf(last) - firstSeq === last - first) {
    // A run of UIDs that are all in the view, in a row: SQLite makes the lines (seq = UID minus a constant).
    const parts: LinePart[] = ['* ', { field: 'seq' }, ' FETCH ('];
    atts.forEach((a, i) => {
      const field = a.kind === 'UID' ? 'uid' : a.kind === 'ENVELOPE' ? 'envelope' : a.kind === 'BODYSTRUCTURE' ? 'bodyStructure' : 'body';
      parts.push(`${i ? ' ' : ''}${labels[i]!} `, { field });
    });
    parts.push(')');
    const lines = await ctx.deps.store.listLines(sel.mailbox.id, { uidFrom: first, uidTo: last }, {
      parts,
      separator: '\r\n',
      seqOffset: first - firstSeq,
      textVersion: BODY_CACHE_VERSION,
    });
    if (lines !== null) return lines.length ? [lines, CRLF] : [];
  }
  const rows = await ctx.deps.store.getCachedTexts(sel.mailbox.id, chunk, BODY_CACHE_VERSION, want);
  let text = '';
  for (const [uid, envelope, bodyStructure, body] of rows) {
    if ((want.envelope && envelope === null) || (want.bodyStructure && bodyStructure === null) || (want.body && body === null)) return null;
    const seq = sel.view.seqOf(uid);
    if (!seq) continue;
    text += `* ${seq} FETCH (`;
    for (let i = 0; i < atts.length; i++) {
      const kind = atts[i]!.kind;
      if (i) text += ' ';
      text += `${labels[i]!} ${kind === 'UID' ? uid : kind === 'ENVELOPE' ? envelope! : kind === 'BODYSTRUCTURE' ? bodyStructure! : body!}`;
    }
    text += ')\r\n';
  }
  return text ? [Buffer.from(text, 'utf8')] : [];
}

/** Items of the flag listing (`UID FETCH 1:* (FLAGS)` of a client resynchronising), served from FlagRows. */
const FLAG_ATTS = new Set<FetchAtt['kind']>(['UID', 'FLAGS', 'MODSEQ']);

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const B_STAR = ascii('* ');
const B_FETCH = ascii(' FETCH (');
const B_UID = ascii('UID ');
const B_FLAGS = ascii('FLAGS (');
const B_MODSEQ = ascii('MODSEQ (');
const B_RECENT = ascii('\\Recent');
const B_END = ascii(')\r\n');
const CRLF = Buffer.from('\r\n');
const K_UID = 0;
const K_FLAGS = 1;
const K_MODSEQ = 2;

/**
 * Formats FETCH responses of UID, FLAGS and MODSEQ straight from a FlagListing into bytes: one loop per batch,
 * without a string, array or function call per message, so that even the first listing after a start (before
 * the JIT has warmed up) costs little. Sequence numbers come from walking the view alongside the ascending UIDs.
 */
class FlagFormatter {
  /** Index in the view's UID list reached by the previous message. */
  private p = 0;
  private systemBytes: Uint8Array[] = [];
  private systemOf: readonly string[] | null = null;

  constructor(
    private readonly sel: SelectedState,
    private readonly kinds: readonly number[],
    private readonly withModseq: boolean,
    private readonly changedSince: number | null,
    private readonly recent: boolean,
  ) {}

  /**
   * The responses for the lines of `listing` (those in `wanted`, when given), or null, with the position in
   * the view unchanged, when a UID does not ascend or a line is malformed.
   */
  format(listing: FlagListing, wanted: ReadonlySet<number> | null): Buffer | null {
    if (this.systemOf !== listing.systemFlags) {
      this.systemOf = listing.systemFlags;
      this.systemBytes = listing.systemFlags.map(ascii);
    }
    const sys = this.systemBytes;
    const list = this.sel.view.uidList;
    const view = this.sel.view;
    const kinds = this.kinds;
    const s = listing.text;
    const n = s.length;
    let b = Buffer.allocUnsafe(Math.max(256, n * 3));
    let o = 0;
    let p = this.p;
    let prev = 0;
    for (let i = 0; i < n; ) {
      let c = 0;
      let uid = 0;
      const u0 = i;
      for (c = s.charCodeAt(i++); c >= 48 && c <= 57; c = s.charCodeAt(i++)) uid = uid * 10 + c - 48;
      const u1 = i - 1;
      if (uid <= prev || c !== 32) return null;
      prev = uid;
      let modseq = 0;
      const m0 = i;
      if (this.withModseq) for (c = s.charCodeAt(i++); c >= 48 && c <= 57; c = s.charCodeAt(i++)) modseq = modseq * 10 + c - 48;
      const m1 = i - 1;
      if (c !== 32) return null;
      let code = 0;
      for (c = s.charCodeAt(i++); c >= 48 && c <= 57; c = s.charCodeAt(i++)) code = code * 10 + c - 48;
      if (c !== 32 || code >= sys.length) return null;
      const k0 = i;
      let k1 = s.indexOf('\n', i);
      if (k1 < 0) k1 = n;
      i = k1 + 1;
      if (wanted !== null && !wanted.has(uid)) continue;
      if (this.changedSince !== null && modseq <= this.changedSince) continue;
      while (p < list.length && list[p]! < uid) p++;
      if (list[p] !== uid) continue;
      const system = sys[code]!;
      // Room for this response: fixed parts, numbers, flags (keywords up to three bytes per character).
      const need = 64 + (u1 - u0) + (m1 - m0) + system.length + 3 * (k1 - k0) + B_RECENT.length;
      if (o + need > b.length) {
        const grown = Buffer.allocUnsafe(Math.max(b.length * 2, o + need));
        b.copy(grown, 0, 0, o);
        b = grown;
      }
      for (let x = 0; x < B_STAR.length; x++) b[o++] = B_STAR[x]!;
      let seq = p + 1;
      let d = 1;
      for (let t = seq; t >= 10; t = (t / 10) | 0) d++;
      o += d;
      for (let x = o - 1; x >= o - d; x--) {
        const q = (seq / 10) | 0;
        b[x] = 48 + seq - q * 10;
        seq = q;
      }
      for (let x = 0; x < B_FETCH.length; x++) b[o++] = B_FETCH[x]!;
      for (let j = 0; j < kinds.length; j++) {
        if (j) b[o++] = 32;
        const kind = kinds[j];
        if (kind === K_UID) {
          for (let x = 0; x < B_UID.length; x++) b[o++] = B_UID[x]!;
          for (let x = u0; x < u1; x++) b[o++] = s.charCodeAt(x);
        } else if (kind === K_FLAGS) {
          for (let x = 0; x < B_FLAGS.length; x++) b[o++] = B_FLAGS[x]!;
          for (let x = 0; x < system.length; x++) b[o++] = system[x]!;
          let any = system.length > 0;
          if (k1 > k0) {
            if (any) b[o++] = 32;
            for (let x = k0; x < k1; x++) {
              const ch = s.charCodeAt(x);
              if (ch > 0x7f) {
                // A keyword stored with 8-bit characters: the rest through the UTF-8 encoder.
                o += b.write(s.slice(x, k1), o, 'utf8');
                break;
              }
              b[o++] = ch;
            }
            any = true;
          }
          // RFC 3501 §2.3.2: \Recent is this session's, not stored; IMAP4rev2 (RFC 9051) dropped it.
          if (this.recent && view.isRecent(uid)) {
            if (any) b[o++] = 32;
            for (let x = 0; x < B_RECENT.length; x++) b[o++] = B_RECENT[x]!;
          }
          b[o++] = 41;
        } else {
          for (let x = 0; x < B_MODSEQ.length; x++) b[o++] = B_MODSEQ[x]!;
          for (let x = m0; x < m1; x++) b[o++] = s.charCodeAt(x);
          b[o++] = 41;
        }
      }
      for (let x = 0; x < B_END.length; x++) b[o++] = B_END[x]!;
    }
    this.p = p;
    return b.subarray(0, o);
  }

  /** The same from rows (Store.listFlags), when the packed listing could not be used. */
  formatRows(rows: readonly FlagRow[], wanted: ReadonlySet<number> | null): Buffer {
    const list = this.sel.view.uidList;
    let text = '';
    for (const [uid, modseq, flags] of rows) {
      if (wanted !== null && !wanted.has(uid)) continue;
      if (this.changedSince !== null && modseq <= this.changedSince) continue;
      while (this.p < list.length && list[this.p]! < uid) this.p++;
      if (list[this.p] !== uid) continue;
      const shown = this.recent && this.sel.view.isRecent(uid) ? (flags ? `${flags} \\Recent` : '\\Recent') : flags;
      text += `* ${this.p + 1} FETCH (`;
      text += this.kinds.map((k) => (k === K_UID ? `UID ${uid}` : k === K_FLAGS ? `FLAGS (${shown})` : `MODSEQ (${modseq})`)).join(' ');
      text += ')\r\n';
    }
    return Buffer.from(text, 'utf8');
  }
}

/**
 * FETCH of UID, FLAGS and MODSEQ only: one narrow store read per batch (Store.listFlagText: the flags of the whole
 * batch packed in one text, no object per message), formatted by FlagFormatter, one write per batch.
 */
async function fetchFlags(ctx: SessionContext, sel: SelectedState, atts: readonly FetchAtt[], uids: readonly number[], changedSince: number | null): Promise<void> {
  const withModseq = changedSince !== null || atts.some((a) => a.kind === 'MODSEQ');
  const kinds = atts.map((a) => (a.kind === 'UID' ? K_UID : a.kind === 'FLAGS' ? K_FLAGS : K_MODSEQ));
  const recent = !ctx.enabled.has('IMAP4REV2');
  const fmt = new FlagFormatter(sel, kinds, withModseq, changedSince, recent);
  // The line of each message as parts for Store.listFlagLines (no \Recent to add, no CHANGEDSINCE to filter).
  const parts: LinePart[] | null =
    changedSince === null && (!recent || sel.view.recentCount === 0)
      ? [
          '* ',
          { field: 'seq' },
          ' FETCH (',
          ...kinds.flatMap((k, j): LinePart[] => [
            j ? ' ' : '',
            ...(k === K_UID ? ['UID ', { field: 'uid' } as const] : k === K_FLAGS ? ['FLAGS (', { field: 'flags' } as const, ')'] : ['MODSEQ (', { field: 'modseq' } as const, ')']),
          ]),
          ')',
        ]
      : null;
  for (let i = 0; i < uids.length; i += SUMMARY_BATCH) {
    const first = uids[i]!;
    const last = uids[Math.min(i + SUMMARY_BATCH, uids.length) - 1]!;
    // uids is ascending and distinct (a resolved set): a batch as long as its range holds every UID of it.
    const count = Math.min(SUMMARY_BATCH, uids.length - i);
    const wanted = count !== last - first + 1 ? new Set(uids.slice(i, i + SUMMARY_BATCH)) : null;
    const range = { uidFrom: first, uidTo: last };
    const firstSeq = sel.view.seqOf(first);
    if (parts !== null && wanted === null && firstSeq > 0 && sel.view.seqOf(last) - firstSeq === last - first) {
      // Every UID of the range is in the view, in a row: the sequence number is the UID minus a constant, and
      // SQLite makes the lines (a message expunged but not yet announced has no row and is skipped, as below).
      const lines = await ctx.deps.store.listLines(sel.mailbox.id, range, { parts, separator: '\r\n', seqOffset: first - firstSeq });
      if (lines !== null) {
        if (lines.length) {
          await ctx.write(lines);
          await ctx.write(CRLF);
        }
        continue;
      }
    }
    // The packed rows come in UID order in practice; if not (the store does not promise it), read rows instead.
    const out =
      fmt.format(await ctx.deps.store.listFlagText(sel.mailbox.id, range, { modseq: withModseq }), wanted) ??
      fmt.formatRows(await ctx.deps.store.listFlags(sel.mailbox.id, range), wanted);
    if (out.length) await ctx.write(out);
  }
}

/** Items that need the structure or the message bytes. */
async function contentValue(ctx: SessionContext, att: FetchAtt, content: MessageContent | null): Promise<ImapValue | undefined> {
  if (!content) return undefined;
  const s = content.msg.structure;
  switch (att.kind) {
    case 'ENVELOPE':
      return envelopeValue(s.envelope);
    case 'BODYSTRUCTURE':
      return bodyStructureValue(s.root, true);
    case 'BODY':
      return bodyStructureValue(s.root, false);
    case 'RFC822':
      return literal(await content.full());
    case 'RFC822.HEADER':
      return literal(await content.header());
    case 'RFC822.TEXT':
      return literal(await content.text());
    case 'BODY[]': {
      const data = await content.section(att.section);
      return data === null ? null : literal(applyPartial(data, att.partial));
    }
    case 'BINARY[]': {
      const r = await content.binary(att.part);
      if (r.kind === 'unknown-cte') throw new UnknownCte();
      if (r.kind === 'missing') return null;
      const data = applyPartial(r.data, att.partial);
      return literal(data, data.includes(0));
    }
    case 'BINARY.SIZE': {
      const r = await content.binary(att.part);
      if (r.kind === 'unknown-cte') throw new UnknownCte();
      return r.kind === 'ok' ? r.data.length : 0;
    }
    default:
      return undefined;
  }
}

export const fetchCommand = defineCommand({
  names: ['FETCH'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const store = ctx.deps.store;
    const atts: FetchAtt[] = [...cmd.atts];
    if (atts.some((a) => a.kind === 'SAVEDATE' || a.kind === 'EMAILID' || a.kind === 'THREADID')) return bad('Unsupported fetch attribute');
    // RFC 9051 §6.4.9: UID FETCH always returns UID.
    if (cmd.uid && !atts.some((a) => a.kind === 'UID')) atts.unshift({ kind: 'UID' });
    if (cmd.changedSince !== null || atts.some((a) => a.kind === 'MODSEQ')) {
      ctx.enable('CONDSTORE'); // RFC 7162 §3.1: CONDSTORE-enabling
      if (!atts.some((a) => a.kind === 'MODSEQ')) atts.push({ kind: 'MODSEQ' });
    }
    if (cmd.vanished && (!cmd.uid || cmd.changedSince === null || !ctx.enabled.has('QRESYNC'))) {
      return bad('VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC');
    }
    const uids = ctx.resolveSet(sel, cmd.set, cmd.uid);
    const mailboxId = sel.mailbox.id;

    if (cmd.vanished && cmd.changedSince !== null) {
      // RFC 7162 §3.2.6: UIDs in the set expunged since CHANGEDSINCE.
      const max = sel.view.lastUid;
      const ranges = sequenceSetRanges(cmd.set.kind === 'saved' ? { kind: 'ranges', ranges: [] } : cmd.set, Math.max(max, 1));
      const gone = (await store.vanishedSince(mailboxId, cmd.changedSince)).filter((u) => ranges.some(([a, b]) => u >= a && u <= b));
      if (gone.length) await ctx.untagged([atom('VANISHED'), [atom('EARLIER')], atom(compressNumbers(gone))]);
    }

    const needContent = atts.some((a) => !SUMMARY_ATTS.has(a.kind));
    // The cached texts are encoded with the default quoted-string limit.
    const cached = needContent && ctx.encodeOpts.maxQuoted === undefined && atts.every((a) => CACHED_ATTS.has(a.kind));
    const fast = !needContent || cached;
    const wantEnvelope = atts.some((a) => a.kind === 'ENVELOPE');
    const wantBody = atts.some((a) => a.kind === 'BODYSTRUCTURE' || a.kind === 'BODY');
    const setSeen = !sel.readOnly && atts.some(fetchSetsSeen);
    const batch = fast ? (cached ? CACHED_BATCH : SUMMARY_BATCH) : FULL_BATCH;
    const labels = atts.map(fetchResponseLabel);
    if (atts.every((a) => FLAG_ATTS.has(a.kind))) {
      await fetchFlags(ctx, sel, atts, uids, cmd.changedSince);
      return ok(`${cmd.uid ? 'UID ' : ''}FETCH completed`);
    }
    // Cached texts only (FETCH BODYSTRUCTURE, BODY, ENVELOPE): no summary, no flags, nothing to set.
    const textsOnly = cached && !setSeen && cmd.changedSince === null && atts.every((a) => TEXT_ATTS.has(a.kind));
    let unknownCte = false;
    for (let i = 0; i < uids.length; i += batch) {
      const chunk = uids.slice(i, i + batch);
      if (textsOnly) {
        const bufs = await textsBatch(ctx, sel, atts, labels, chunk);
        if (bufs !== null) {
          for (const b of bufs) await ctx.write(b);
          continue;
        }
      }
      let msgs: Array<MessageSummary | StoredMessage | BodyCacheSummary>;
      if (cached) msgs = await store.getBodyCache(mailboxId, chunk, BODY_CACHE_VERSION, { envelope: wantEnvelope, structure: wantBody });
      else if (needContent) msgs = await store.getMessages(mailboxId, chunk);
      else {
        const first = chunk[0]!;
        const last = chunk[chunk.length - 1]!;
        msgs = await store.listMessages(mailboxId, { uidFrom: first, uidTo: last });
        // A chunk of ascending UIDs as long as its range holds every UID of it: nothing to filter.
        if (chunk.length !== last - first + 1) {
          const wanted = new Set(chunk);
          msgs = msgs.filter((m) => wanted.has(m.uid));
        }
      }
      if (cmd.changedSince !== null) {
        const since = cmd.changedSince;
        msgs = msgs.filter((m) => m.modseq > since);
      }
      const seenNow = new Set<number>();
      if (setSeen) {
        const unseen = msgs.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
        if (unseen.length) {
          const r = await store.storeFlags(mailboxId, unseen, 'add', ['\\Seen']);
          const byUid = new Map(r.updated.map((u) => [u.uid, u]));
          for (const m of msgs) {
            const u = byUid.get(m.uid);
            if (!u) continue;
            m.flags = u.flags;
            m.modseq = u.modseq;
            seenNow.add(m.uid);
          }
          sel.view.dropFlagUpdates(r.updated);
        }
      }
      if (!ctx.enabled.has('IMAP4REV2')) {
        // RFC 3501 §2.3.2: \Recent is this session's, not stored with the flags.
        for (const m of msgs) if (sel.view.isRecent(m.uid)) m.flags = [...m.flags, '\\Recent'];
      }
      if (fast) {
        // Summary items and cached texts only (FETCH FLAGS, the ENVELOPE listing of a client opening a mailbox,
        // BODYSTRUCTURE): one string per batch, one write.
        let text = '';
        const fill: BodyCacheEntry[] = [];
        for (const m of msgs) {
          const seq = sel.view.seqOf(m.uid);
          if (!seq) continue;
          const t = cached ? cachedTexts(m as BodyCacheSummary, wantEnvelope, wantBody, ctx.encodeOpts, fill) : null;
          text += fastResponse(seq, atts, labels, m, t?.envelope ?? null, t?.body ?? null);
        }
        if (text) await ctx.write(Buffer.from(text, 'utf8'));
        if (fill.length) await store.putBodyCache(mailboxId, BODY_CACHE_VERSION, fill);
        continue;
      }
      for (const m of msgs) {
        const seq = sel.view.seqOf(m.uid);
        if (!seq) continue;
        const content = new MessageContent(store.blobs, m as StoredMessage);
        const items: Array<[string, ImapValue]> = [];
        try {
          for (const att of atts) {
            const v = summaryValue(att, m) ?? (await contentValue(ctx, att, content));
            if (v !== undefined) items.push([fetchResponseLabel(att), v]);
          }
        } catch (e) {
          if (!(e instanceof UnknownCte)) throw e;
          unknownCte = true;
          continue;
        }
        // RFC 9051 §6.4.5: a \Seen set by this fetch is reported in the same response.
        if (seenNow.has(m.uid) && !atts.some((a) => a.kind === 'FLAGS')) items.push(['FLAGS', flagList(m.flags)]);
        await ctx.write(fetchResponse(seq, items, ctx.encodeOpts));
      }
    }
    // RFC 3516 §4.3: a part whose encoding cannot be decoded.
    if (unknownCte) return no('Unknown Content-Transfer-Encoding', 'UNKNOWN-CTE');
    return ok(`${cmd.uid ? 'UID ' : ''}FETCH completed`);
  },
});
