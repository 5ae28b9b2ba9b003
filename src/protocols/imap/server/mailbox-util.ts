/**
 * Helpers shared by the mailbox commands: wire names (modified UTF-7 or UTF-8 after UTF8=ACCEPT), mailbox
 * lookup with the right NO codes, and STATUS items (RFC 9051 §6.3.11; RFC 8438 SIZE; RFC 7162 HIGHESTMODSEQ;
 * RFC 7889 APPENDLIMIT). RECENT counts the messages no session has claimed as \Recent yet (RFC 3501 §2.3.2).
 */

import type { Account, Mailbox } from '../../../store/types.js';
import { atom, toWireMailbox, type ImapValue, type StatusItem } from '../proto/index.js';
import { no, type CommandResult, type SessionContext } from './command.js';

export function accountOf(ctx: SessionContext): Account {
  const st = ctx.state;
  if (st.kind !== 'authenticated' && st.kind !== 'selected') throw new Error('not authenticated');
  return st.account;
}

export function wireName(ctx: SessionContext, name: string): string {
  return toWireMailbox(name, { utf8: ctx.enabled.has('UTF8=ACCEPT') || ctx.enabled.has('IMAP4REV2') });
}

/** The mailbox, or the NO result to return (RFC 5530 NONEXISTENT). */
export async function findMailbox(ctx: SessionContext, name: string): Promise<Mailbox | CommandResult> {
  const mb = await ctx.deps.store.getMailbox(accountOf(ctx).id, name);
  return mb ?? no(`Mailbox does not exist: ${name.slice(0, 100)}`, 'NONEXISTENT');
}

export function isResult(x: Mailbox | CommandResult): x is CommandResult {
  return 'status' in x && 'text' in x;
}

/** `(MESSAGES n UIDNEXT n ...)` for a STATUS response. */
export async function statusValues(ctx: SessionContext, mb: Mailbox, items: readonly StatusItem[]): Promise<ImapValue[]> {
  const s = await ctx.deps.store.getMailboxStatus(mb.id);
  const out: ImapValue[] = [];
  for (const item of items) {
    switch (item) {
      case 'MESSAGES':
        out.push(atom(item), s.messages);
        break;
      case 'UIDNEXT':
        out.push(atom(item), s.uidNext);
        break;
      case 'UIDVALIDITY':
        out.push(atom(item), s.uidValidity);
        break;
      case 'UNSEEN':
        out.push(atom(item), s.unseen);
        break;
      case 'DELETED':
        out.push(atom(item), s.deleted);
        break;
      case 'SIZE':
        out.push(atom(item), s.size);
        break;
      case 'RECENT':
        out.push(atom(item), s.recent ?? 0); // RFC 3501 §6.3.10: not yet claimed by a session
        break;
      case 'HIGHESTMODSEQ':
        ctx.enable('CONDSTORE'); // RFC 7162 §3.1: a CONDSTORE-enabling command
        out.push(atom(item), s.highestModseq);
        break;
      case 'APPENDLIMIT':
        out.push(atom(item), ctx.deps.config.imap.max_literal_size ?? ctx.deps.config.smtp.max_message_size);
        break;
      case 'MAILBOXID':
        break; // RFC 8474 OBJECTID is not offered
    }
  }
  return out;
}
