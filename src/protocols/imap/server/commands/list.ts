/**
 * LIST (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258: SUBSCRIBED, RECURSIVEMATCH, SPECIAL-USE selection,
 * RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS)), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154) and
 * LIST-STATUS (RFC 5819); and LSUB (RFC 3501 §6.3.9). \HasChildren/\HasNoChildren and special-use
 * attributes are always sent. Names are written in modified UTF-7 unless UTF8=ACCEPT is on.
 */
import type { Mailbox } from '../../../../store/types.js';
import { atom, combineReference, mailboxAncestors, matchListPattern, type ImapValue } from '../../proto/index.js';
import { defineCommand, ok, type SessionContext } from '../command.js';
import { accountOf, statusValues, wireName } from '../mailbox-util.js';
import { AUTH } from '../state.js';

interface Entry {
  name: string;
  attrs: string[];
  childInfo: boolean;
  mailbox: Mailbox | null;
}

function sortNames(a: string, b: string): number {
  if (a === 'INBOX') return -1;
  if (b === 'INBOX') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasChildren(name: string, names: ReadonlySet<string> | readonly string[]): boolean {
  const prefix = name + '/';
  for (const n of names) if (n.startsWith(prefix)) return true;
  return false;
}

async function writeList(ctx: SessionContext, verb: 'LIST' | 'LSUB', e: Entry): Promise<void> {
  const values: ImapValue[] = [atom(verb), e.attrs.map(atom), '/', wireName(ctx, e.name)];
  if (e.childInfo) values.push(['CHILDINFO', ['SUBSCRIBED']]); // RFC 5258 §4
  await ctx.untagged(values);
}

export const listCommand = defineCommand({
  names: ['LIST'],
  states: AUTH,
  async run(ctx, cmd) {
    const store = ctx.deps.store;
    const accountId = accountOf(ctx).id;
    // RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter.
    if (!cmd.extended && cmd.patterns.length === 1 && cmd.patterns[0] === '') {
      await ctx.untagged([atom('LIST'), [atom('\\Noselect')], '/', '']);
      return ok('LIST completed');
    }
    const mailboxes = await store.listMailboxes(accountId);
    const byName = new Map(mailboxes.map((m) => [m.name, m]));
    const names = [...byName.keys()];
    const sel = cmd.selection;
    const ret = cmd.returns;
    const wantSubs = sel.subscribed || ret.subscribed;
    const subs = new Set(wantSubs ? await store.listSubscriptions(accountId) : []);
    const patterns = cmd.patterns.filter((p) => p !== '').map((p) => combineReference(cmd.reference, p));
    const matches = (n: string): boolean => patterns.some((p) => matchListPattern(p, n));

    const entries = new Map<string, Entry>();
    const candidates = sel.subscribed ? [...new Set([...subs, ...(sel.recursiveMatch ? names : [])])] : names;
    for (const name of candidates.sort(sortNames)) {
      if (!matches(name)) continue;
      const mb = byName.get(name) ?? null;
      const subscribed = subs.has(name);
      let childInfo = false;
      if (sel.subscribed && !subscribed) {
        // RFC 5258 §3.5 RECURSIVEMATCH: a parent is listed when a subscribed descendant matches.
        if (!sel.recursiveMatch || ![...subs].some((s) => s.startsWith(name + '/'))) continue;
        childInfo = true;
      }
      if (sel.specialUse && !mb?.specialUse) continue;
      const attrs: string[] = [];
      if (!mb) attrs.push('\\NonExistent');
      else attrs.push(hasChildren(name, names) ? '\\HasChildren' : '\\HasNoChildren');
      if (wantSubs && subscribed) attrs.push('\\Subscribed');
      if (mb?.specialUse) attrs.push(mb.specialUse);
      entries.set(name, { name, attrs, childInfo, mailbox: mb });
    }
    for (const e of entries.values()) {
      await writeList(ctx, 'LIST', e);
      // RFC 5819: STATUS right after the LIST of each selectable mailbox.
      if (ret.status && e.mailbox) {
        await ctx.untagged([atom('STATUS'), wireName(ctx, e.name), await statusValues(ctx, e.mailbox, ret.status)]);
      }
    }
    return ok('LIST completed');
  },
});

export const lsubCommand = defineCommand({
  names: ['LSUB'],
  states: AUTH,
  async run(ctx, cmd) {
    const store = ctx.deps.store;
    const accountId = accountOf(ctx).id;
    if (cmd.pattern === '') {
      await ctx.untagged([atom('LSUB'), [atom('\\Noselect')], '/', '']);
      return ok('LSUB completed');
    }
    const pattern = combineReference(cmd.reference, cmd.pattern);
    const subs = await store.listSubscriptions(accountId);
    const existing = new Set((await store.listMailboxes(accountId)).map((m) => m.name));
    const out = new Map<string, string[]>();
    for (const s of subs) {
      if (matchListPattern(pattern, s)) out.set(s, existing.has(s) ? [] : ['\\Noselect']);
      // RFC 3501 §6.3.9: with "%", a parent of a subscribed mailbox is returned as \Noselect.
      for (const parent of mailboxAncestors(s)) {
        if (!out.has(parent) && !subs.includes(parent) && !matchListPattern(pattern, s) && matchListPattern(pattern, parent)) {
          out.set(parent, ['\\Noselect']);
        }
      }
    }
    for (const name of [...out.keys()].sort(sortNames)) {
      await writeList(ctx, 'LSUB', { name, attrs: out.get(name)!, childInfo: false, mailbox: null });
    }
    return ok('LSUB completed');
  },
});
