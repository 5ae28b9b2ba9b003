/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9) with BINARY (RFC 3516), CONDSTORE CHANGEDSINCE/MODSEQ
 * (RFC 7162 §3.1.4) and QRESYNC VANISHED (§3.2.6). Flag-only fetches read summaries; others read the stored
 * structure and byte ranges (message-content.ts). Non-PEEK body fetches set \Seen (unless read-only) and
 * report the new FLAGS in the same response. Work is done in batches so memory stays bounded.
 */
import type { MessageSummary, StoredMessage } from '../../../../store/types.js';
import {
  atom,
  compressNumbers,
  envelopeValue,
  bodyStructureValue,
  fetchResponse,
  fetchResponseLabel,
  fetchSetsSeen,
  flagList,
  formatInternalDate,
  literal,
  sequenceSetRanges,
  type FetchAtt,
  type ImapValue,
} from '../../proto/index.js';
import { bad, defineCommand, no, ok, type SessionContext } from '../command.js';
import { applyPartial, MessageContent } from '../message-content.js';
import { SELECTED, type SelectedState } from '../state.js';

const SUMMARY_ATTS = new Set<FetchAtt['kind']>(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ']);
const SUMMARY_BATCH = 5000;
const FULL_BATCH = 100;

class UnknownCte extends Error {}

async function itemValue(ctx: SessionContext, att: FetchAtt, m: MessageSummary, content: MessageContent | null): Promise<ImapValue | undefined> {
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
  }
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
    const setSeen = !sel.readOnly && atts.some(fetchSetsSeen);
    const batch = needContent ? FULL_BATCH : SUMMARY_BATCH;
    let unknownCte = false;
    for (let i = 0; i < uids.length; i += batch) {
      const chunk = uids.slice(i, i + batch);
      let msgs: Array<MessageSummary | StoredMessage>;
      if (needContent) msgs = await store.getMessages(mailboxId, chunk);
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
      for (const m of msgs) {
        const seq = sel.view.seqOf(m.uid);
        if (!seq) continue;
        const content = needContent ? new MessageContent(store.blobs, m as StoredMessage) : null;
        const items: Array<[string, ImapValue]> = [];
        try {
          for (const att of atts) {
            const v = await itemValue(ctx, att, m, content);
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
