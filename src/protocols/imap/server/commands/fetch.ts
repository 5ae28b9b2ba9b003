/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9) with BINARY (RFC 3516), CONDSTORE CHANGEDSINCE/MODSEQ
 * (RFC 7162 §3.1.4) and QRESYNC VANISHED (§3.2.6). Flag-only fetches read summaries; others read the stored
 * structure and byte ranges (message-content.ts). Non-PEEK body fetches set \Seen (unless read-only) and
 * report the new FLAGS in the same response. Work is done in batches so memory stays bounded.
 */
import type { Envelope } from '../../../../mail/structure.js';
import type { EnvelopeSummary, MessageSummary, StoredMessage } from '../../../../store/types.js';
import {
  atom,
  compressNumbers,
  encodeValue,
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
/** Served from the summary plus the stored envelope (Store.getEnvelopes): no structure, no blob. */
const ENVELOPE_ATTS = new Set<FetchAtt['kind']>([...SUMMARY_ATTS, 'ENVELOPE']);
const SUMMARY_BATCH = 5000;
const FULL_BATCH = 100;

class UnknownCte extends Error {}

/** Items answered from the summary (and the stored envelope when given), synchronously; undefined otherwise. */
function summaryValue(att: FetchAtt, m: MessageSummary, envelope: Envelope | null): ImapValue | undefined {
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
    case 'ENVELOPE':
      return envelope ? envelopeValue(envelope) : undefined;
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

/** One FETCH response for the summary-and-envelope fast path (RFC 9051 §7.5.2 syntax). */
function fastResponse(seq: number, atts: readonly FetchAtt[], labels: readonly string[], m: MessageSummary, envelope: Envelope | null, opts: EncodeOptions): Buffer {
  let line = `* ${seq} FETCH (`;
  let parts: Buffer[] | null = null;
  for (let i = 0; i < atts.length; i++) {
    const att = atts[i]!;
    if (i) line += ' ';
    line += labels[i]! + ' ';
    const t = summaryText(att, m);
    if (t !== undefined) line += t;
    else if (envelope) {
      parts ??= [];
      parts.push(Buffer.from(line, 'utf8'), encodeValue(envelopeValue(envelope), opts));
      line = '';
    }
  }
  line += ')\r\n';
  if (!parts) return Buffer.from(line, 'utf8');
  parts.push(Buffer.from(line, 'utf8'));
  return Buffer.concat(parts);
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
      const max = sel.view.uids[sel.view.uids.length - 1] ?? 0;
      const ranges = sequenceSetRanges(cmd.set.kind === 'saved' ? { kind: 'ranges', ranges: [] } : cmd.set, Math.max(max, 1));
      const gone = (await store.vanishedSince(mailboxId, cmd.changedSince)).filter((u) => ranges.some(([a, b]) => u >= a && u <= b));
      if (gone.length) await ctx.untagged([atom('VANISHED'), [atom('EARLIER')], atom(compressNumbers(gone))]);
    }

    const needContent = atts.some((a) => !SUMMARY_ATTS.has(a.kind));
    const envelopeOnly = needContent && atts.every((a) => ENVELOPE_ATTS.has(a.kind));
    const setSeen = !sel.readOnly && atts.some(fetchSetsSeen);
    const batch = needContent && !envelopeOnly ? FULL_BATCH : SUMMARY_BATCH;
    const labels = atts.map(fetchResponseLabel);
    let unknownCte = false;
    for (let i = 0; i < uids.length; i += batch) {
      const chunk = uids.slice(i, i + batch);
      let msgs: Array<MessageSummary | StoredMessage | EnvelopeSummary>;
      if (envelopeOnly) msgs = await store.getEnvelopes(mailboxId, chunk);
      else if (needContent) msgs = await store.getMessages(mailboxId, chunk);
      else {
        const wanted = new Set(chunk);
        msgs = (await store.listMessages(mailboxId, { uidFrom: chunk[0]!, uidTo: chunk[chunk.length - 1]! })).filter((m) => wanted.has(m.uid));
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
      if (!needContent || envelopeOnly) {
        // Summary and envelope items only (FETCH FLAGS, the ENVELOPE listing of a client opening a mailbox):
        // one string per response, one write per batch.
        const out: Buffer[] = [];
        for (const m of msgs) {
          const seq = sel.view.seqOf(m.uid);
          if (!seq) continue;
          out.push(fastResponse(seq, atts, labels, m, envelopeOnly ? (m as EnvelopeSummary).envelope : null, ctx.encodeOpts));
        }
        if (out.length) await ctx.write(Buffer.concat(out));
        continue;
      }
      for (const m of msgs) {
        const seq = sel.view.seqOf(m.uid);
        if (!seq) continue;
        const content = needContent && !envelopeOnly ? new MessageContent(store.blobs, m as StoredMessage) : null;
        const envelope = envelopeOnly ? (m as EnvelopeSummary).envelope : null;
        const items: Array<[string, ImapValue]> = [];
        try {
          for (const att of atts) {
            const v = summaryValue(att, m, envelope) ?? (content ? await contentValue(ctx, att, content) : undefined);
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
