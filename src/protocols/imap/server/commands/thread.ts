/**
 * THREAD and UID THREAD (RFC 5256 §3, §4): ORDEREDSUBJECT and REFERENCES.
 *
 * The algorithms are pure functions over `ThreadInput` (threadOrderedSubject, threadReferences) so they can
 * be checked against hand-derived trees; the command only gathers the inputs (sent date, base subject,
 * Message-ID, References / In-Reply-To) for the messages SEARCH selected and formats the thread list.
 *
 * REFERENCES implements every step of RFC 5256 §3: (1) parent/child links from References (or the first
 * In-Reply-To id) with loop checks and the message under its last reference, (2) the root set, (4) dummy
 * pruning (children of a root-level dummy promoted only when there is one), (5) root sort by sent date,
 * (6) merging root threads by base subject (the subject table, rules a-d), (7) recursive sibling sort.
 * Ties in sent date are broken by sequence number (RFC 5256 §2.2). Side effects: none besides reading
 * header bytes of the searched messages.
 */
import type { BlobStore } from '../../../../store/types.js';
import { defineCommand, ok } from '../command.js';
import { baseSubject, decodeWords, MessageFields, sentTime } from '../message-fields.js';
import { runSearch, type SearchHit } from '../search-eval.js';
import { SELECTED, type SelectedState } from '../state.js';

/** What the thread algorithms need of one message. */
export interface ThreadInput {
  /** Sequence number (or any increasing key): the tie-break of equal sent dates. */
  seq: number;
  /** The message's own Message-ID (`<...>`), or null. */
  messageId: string | null;
  /** Parent candidates oldest first: the References ids, else the first In-Reply-To id (RFC 5256 §3 step 1A). */
  references: readonly string[];
  /** The raw (or decoded) Subject, null when absent. */
  subject: string | null;
  /** Sent date in ms (Date header, else internal date: RFC 5256 §2.2). */
  date: number;
}

/** A thread tree node; `msg` null is a dummy (a message referred to but not present). */
export interface ThreadTree {
  msg: ThreadInput | null;
  children: ThreadTree[];
}

interface Container extends ThreadTree {
  children: Container[];
  parent: Container | null;
}

function container(msg: ThreadInput | null = null): Container {
  return { msg, children: [], parent: null };
}

/** The message standing for a node in sorts and subject lookups: itself, or (dummy) its first child's. */
function representative(n: ThreadTree): ThreadInput | null {
  for (let c: ThreadTree | undefined = n; c; c = c.children[0]) if (c.msg) return c.msg;
  return null;
}

/** RFC 5256 §2.2 sent-date order, ties by sequence number; a dummy sorts as its first child. */
function compareNodes(a: ThreadTree, b: ThreadTree): number {
  const x = representative(a);
  const y = representative(b);
  return (x?.date ?? 0) - (y?.date ?? 0) || (x?.seq ?? 0) - (y?.seq ?? 0);
}

function sortTree(nodes: ThreadTree[]): void {
  for (const n of nodes) sortTree(n.children);
  nodes.sort(compareNodes);
}

/**
 * RFC 5256 §2.1 / §3 step 6: the subject is a reply or forward when extracting the base subject removed a
 * subj-refwd ("Re:", "Fwd:", after optional blobs), a "(fwd)" trailer or a "[fwd: ...]" wrapper.
 */
export function isReplyOrForward(subject: string | null): boolean {
  const s = decodeWords(subject ?? '').replace(/\s+/g, ' ').trim();
  return /\(fwd\)$/i.test(s) || /^(?:\[[^[\]]*\] ?)*(?:re|fwd?) ?(?:\[[^[\]]*\])? ?:/i.test(s) || /^(?:\[[^[\]]*\] ?)*\[fwd:/i.test(s);
}

/** RFC 5256 §3 ORDEREDSUBJECT: groups by base subject, each group's first message (by sent date) the parent. */
export function threadOrderedSubject(msgs: readonly ThreadInput[]): ThreadTree[] {
  const groups = new Map<string, ThreadInput[]>();
  for (const m of msgs) {
    const s = baseSubject(m.subject);
    const g = groups.get(s);
    if (g) g.push(m);
    else groups.set(s, [m]);
  }
  const roots: ThreadTree[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.date - b.date || a.seq - b.seq);
    // The others are children of the first, in sent-date order (siblings, not a chain).
    roots.push({ msg: g[0]!, children: g.slice(1).map((m) => ({ msg: m, children: [] })) });
  }
  return roots.sort(compareNodes);
}

/** True when `a` is `b` or one of b's ancestors. */
function isAncestorOrSelf(a: Container, b: Container): boolean {
  for (let p: Container | null = b; p; p = p.parent) if (p === a) return true;
  return false;
}

function unlink(child: Container): void {
  const p = child.parent;
  if (!p) return;
  p.children = p.children.filter((c) => c !== child);
  child.parent = null;
}

/** Makes `child` a child of `parent` unless that would create a loop; returns whether it did. */
function link(parent: Container, child: Container): boolean {
  if (isAncestorOrSelf(child, parent)) return false;
  unlink(child);
  child.parent = parent;
  parent.children.push(child);
  return true;
}

/** RFC 5256 §3 REFERENCES, steps 1-7. */
export function threadReferences(msgs: readonly ThreadInput[]): ThreadTree[] {
  // Step 1: the id table; a duplicate or missing Message-ID gets a container of its own (a unique id).
  const byId = new Map<string, Container>();
  const unique: Container[] = [];
  const get = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      c = container();
      byId.set(id, c);
    }
    return c;
  };
  for (const m of msgs) {
    let own: Container;
    const existing = m.messageId !== null ? byId.get(m.messageId) : undefined;
    if (m.messageId !== null && (existing === undefined || existing.msg === null)) {
      own = existing ?? get(m.messageId);
      own.msg = m;
    } else {
      own = container(m);
      unique.push(own);
    }
    // Step 1A: link the references in order; an existing parent is kept, loops are never made.
    let prev: Container | null = null;
    for (const r of m.references) {
      const c = get(r);
      if (prev && c.parent === null) link(prev, c);
      prev = c;
    }
    // Step 1B: the message goes under its last reference (replacing any earlier parent), or becomes a root.
    if (prev && !isAncestorOrSelf(own, prev)) link(prev, own);
    else if (!prev) unlink(own);
  }

  // Step 2: the root set.
  let roots: Container[] = [...byId.values(), ...unique].filter((c) => c.parent === null);

  // Step 4: prune dummies (A: childless ones go; B: their children move up, at the root only if alone).
  const prune = (list: Container[], atRoot: boolean): Container[] => {
    const out: Container[] = [];
    for (const c of list) {
      c.children = prune(c.children, false);
      for (const k of c.children) k.parent = c;
      if (c.msg) out.push(c);
      else if (c.children.length === 0) continue;
      else if (!atRoot || c.children.length === 1) out.push(...c.children);
      else out.push(c);
    }
    return out;
  };
  roots = prune(roots, true);
  for (const r of roots) r.parent = null;

  // Step 5: sort the root set by sent date (a dummy by its earliest child).
  sortTree(roots);

  // Step 6: merge root threads with the same base subject.
  const threadSubject = (c: Container): string => baseSubject(representative(c)?.subject ?? null);
  const table = new Map<string, Container>();
  for (const c of roots) {
    const s = threadSubject(c);
    if (s === '') continue; // 6.B.ii
    const t = table.get(s);
    if (!t) table.set(s, c); // 6.B.iv
    // 6.B.v: prefer a dummy, then a message that is not a reply or forward.
    else if (t.msg && (c.msg === null || (isReplyOrForward(t.msg.subject) && !isReplyOrForward(c.msg.subject)))) table.set(s, c);
  }
  const removed = new Set<Container>();
  const wrapped = new Map<Container, Container>();
  for (const c of roots) {
    const s = threadSubject(c);
    if (s === '') continue;
    const t = table.get(s)!;
    if (t === c) continue; // 6.C.iv
    removed.add(c);
    if (t.msg === null && c.msg === null) {
      // 6.C.v.a: both dummies: the children become siblings.
      for (const k of c.children) k.parent = t;
      t.children.push(...c.children);
      c.children = [];
    } else if (t.msg === null) {
      link(t, c); // 6.C.v.b
    } else if (c.msg && isReplyOrForward(c.msg.subject) && !isReplyOrForward(t.msg.subject)) {
      link(t, c); // 6.C.v.c
    } else {
      // 6.C.v.d: a new dummy holds both; it takes the table entry (and t's place among the roots).
      const d = container();
      link(d, t);
      link(d, c);
      table.set(s, d);
      wrapped.set(t, d);
    }
  }
  const merged = roots.filter((c) => !removed.has(c)).map((c) => wrapped.get(c) ?? c);
  for (const r of merged) r.parent = null;

  // Step 7: sort every set of siblings, recursively.
  sortTree(merged);
  return merged;
}

/** RFC 5256 §4 thread-list syntax: a single child continues the line, several children are parenthesised. */
export function formatThreads(roots: readonly ThreadTree[], id: (m: ThreadInput) => number): string {
  const inner = (n: ThreadTree): string => {
    const parts: string[] = [];
    if (n.msg) parts.push(String(id(n.msg)));
    if (n.children.length === 1) parts.push(inner(n.children[0]!));
    else if (n.children.length > 1) parts.push(n.children.map((c) => `(${inner(c)})`).join(''));
    return parts.join(' ');
  };
  return roots.map((r) => `(${inner(r)})`).join('');
}

function msgIds(s: string): string[] {
  return s.match(/<[^<>\s]+>/g) ?? [];
}

async function threadInput(blobs: BlobStore, h: SearchHit, withRefs: boolean): Promise<ThreadInput> {
  const env = h.stored?.structure.envelope;
  const date = sentTime(env?.date ?? null) ?? h.summary.internalDate.getTime();
  const input: ThreadInput = { seq: h.seq, messageId: msgIds(env?.messageId ?? '')[0] ?? null, references: [], subject: env?.subject ?? null, date };
  if (!withRefs || !h.stored) return input;
  const fields = new MessageFields(blobs, h.stored);
  let refs = msgIds((await fields.header('references')).join(' '));
  // RFC 5256 §3 step 1A: without valid References, the first valid In-Reply-To id.
  if (!refs.length) refs = msgIds((await fields.header('in-reply-to')).join(' ')).slice(0, 1);
  return { ...input, references: refs };
}

export const threadCommand = defineCommand({
  names: ['THREAD'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const store = ctx.deps.store;
    const hits = await runSearch({ store, mailboxId: sel.mailbox.id, view: sel.view, savedUids: ctx.savedUids }, cmd.search, { withStored: true });
    const refs = cmd.algorithm === 'REFERENCES';
    const inputs: ThreadInput[] = [];
    const uidOf = new Map<number, number>();
    for (const h of hits) {
      inputs.push(await threadInput(store.blobs, h, refs));
      uidOf.set(h.seq, h.uid);
    }
    const roots = refs ? threadReferences(inputs) : threadOrderedSubject(inputs);
    const text = formatThreads(roots, (m) => (cmd.uid ? uidOf.get(m.seq)! : m.seq));
    await ctx.write(Buffer.from(`* THREAD${text ? ' ' + text : ''}\r\n`));
    return ok(`${cmd.uid ? 'UID ' : ''}THREAD completed`);
  },
});
