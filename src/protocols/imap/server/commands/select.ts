/**
 * SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3) with CONDSTORE (RFC 7162 §3.1.8) and QRESYNC (§3.2.5).
 * Sends FLAGS, PERMANENTFLAGS, EXISTS, RECENT (RFC 3501 §2.3.2: SELECT claims, EXAMINE does not), UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ, UNSEEN (first unseen, RFC 3501) and, for IMAP4rev2 clients, the mailbox's LIST line.
 * A previously selected mailbox is closed first without expunging, with `* OK [CLOSED]` (RFC 7162 §3.2.11).
 */
import { atom, compressNumbers, fetchResponse, flagList, sequenceSetRanges, untaggedStatus, type ImapValue } from '../../proto/index.js';
import { bad, defineCommand, ok, type SessionContext } from '../command.js';
import { accountOf, findMailbox, isResult, wireName } from '../mailbox-util.js';
import { openMailboxView, type UidSource } from '../mailbox-view.js';
import { AUTH } from '../state.js';

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

type Store = SessionContext['deps']['store'];
const sources = new WeakMap<Store, UidSource>();

/** Lists a mailbox's UIDs for its shared index and records \Recent claims for new messages. */
function uidSource(store: Store): UidSource {
  let s = sources.get(store);
  if (s === undefined) {
    s = {
      loadUids: (id) => store.getMailboxUids(id),
      claimRecent: (id, upTo) => void store.claimRecent(id, { claim: true, upTo }).catch(() => undefined),
    };
    sources.set(store, s);
  }
  return s;
}

export const selectCommand = defineCommand({
  names: ['SELECT', 'EXAMINE'],
  states: AUTH,
  async run(ctx: SessionContext, cmd) {
    if (cmd.qresync && !ctx.enabled.has('QRESYNC')) return bad('QRESYNC must be enabled first');
    const account = accountOf(ctx);
    const prev = ctx.state;
    if (prev.kind === 'selected') {
      ctx.deselect();
      await ctx.write(untaggedStatus('OK', 'Previous mailbox closed', 'CLOSED'));
    }
    const mb = await findMailbox(ctx, cmd.mailbox);
    if (isResult(mb)) return mb;
    if (cmd.condstore) ctx.enable('CONDSTORE');
    const store = ctx.deps.store;
    const readOnly = cmd.kind === 'EXAMINE';
    // RFC 3501 §2.3.2: SELECT claims the \Recent messages; EXAMINE only looks (does not change the state).
    const [recent, index] = await Promise.all([store.claimRecent(mb.id, { claim: !readOnly }), store.getMailboxIndex(mb.id, { uids: false })]);
    // The UID list comes from the mailbox's shared index (listed once, shared by every session on it).
    const view = await openMailboxView(store.changes, mb.id, uidSource(store), {
      highestModseq: mb.highestModseq,
      readOnly,
      recentFrom: recent.from,
      recentTo: recent.to,
    });
    const uids = view.uidList;

    const flags = [...SYSTEM_FLAGS, ...index.keywords];
    // RFC 3501 §7.1: UNSEEN is the sequence number of the first unseen message.
    const firstUnseen = index.firstUnseenUid ? view.seqOf(index.firstUnseenUid) : 0;
    const lastUid = view.lastUid;

    await ctx.untagged([atom('FLAGS'), flagList(flags)]);
    const permanent = readOnly ? [] : [...flags, '\\*'];
    await ctx.write(untaggedStatus('OK', readOnly ? 'No permanent flags' : 'Flags permitted', `PERMANENTFLAGS (${permanent.join(' ')})`));
    await ctx.write(Buffer.from(`* ${uids.length} EXISTS\r\n`));
    // RFC 3501 §7.3.2 RECENT; RFC 9051 (IMAP4rev2) removed it.
    if (!ctx.enabled.has('IMAP4REV2')) await ctx.write(Buffer.from(`* ${view.recentCount} RECENT\r\n`));
    await ctx.write(untaggedStatus('OK', 'UIDs valid', `UIDVALIDITY ${mb.uidValidity}`));
    await ctx.write(untaggedStatus('OK', 'Predicted next UID', `UIDNEXT ${Math.max(mb.uidNext, lastUid + 1)}`));
    await ctx.write(untaggedStatus('OK', 'Highest', `HIGHESTMODSEQ ${mb.highestModseq}`));
    if (firstUnseen) await ctx.write(untaggedStatus('OK', 'First unseen', `UNSEEN ${firstUnseen}`));
    if (ctx.enabled.has('IMAP4REV2')) await ctx.untagged([atom('LIST'), [], '/', wireName(ctx, mb.name)]);

    const q = cmd.qresync;
    if (q && q.uidValidity === mb.uidValidity) {
      // RFC 7162 §3.2.5.2: VANISHED (EARLIER) for known UIDs expunged since modseq, then changed flags.
      let vanished = await store.vanishedSince(mb.id, q.modseq);
      if (q.knownUids) {
        const ranges = sequenceSetRanges(q.knownUids, lastUid);
        vanished = vanished.filter((u) => ranges.some(([a, b]) => u >= a && u <= b));
      }
      if (vanished.length) await ctx.untagged([atom('VANISHED'), [atom('EARLIER')], atom(compressNumbers(vanished))]);
      const changed = await store.listMessages(mb.id, { changedSince: q.modseq });
      for (const m of changed) {
        const seq = view.seqOf(m.uid);
        if (!seq) continue;
        const items: Array<[string, ImapValue]> = [['UID', m.uid], ['FLAGS', flagList(m.flags)], ['MODSEQ', [m.modseq]]];
        await ctx.write(fetchResponse(seq, items, ctx.encodeOpts));
      }
    }
    ctx.state = { kind: 'selected', account, mailbox: mb, view, readOnly };
    return ok(`${cmd.kind} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
  },
});
