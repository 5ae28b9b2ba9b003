/**
 * THREAD and UID THREAD (RFC 5256 §4): ORDEREDSUBJECT (by base subject, then sent date) and REFERENCES
 * (parent/child links from References / In-Reply-To / Message-ID, empty containers pruned, siblings and
 * threads ordered by sent date). Not done: REFERENCES step 5 (merging root threads by subject).
 */
import type { BlobStore } from '../../../../store/types.js';
import { defineCommand, ok } from '../command.js';
import { baseSubject, MessageFields, sentTime } from '../message-fields.js';
import { runSearch, type SearchHit } from '../search-eval.js';
import { SELECTED, type SelectedState } from '../state.js';

interface Node {
  hit: SearchHit | null;
  parent: Node | null;
  children: Node[];
}

function dateOf(h: SearchHit): number {
  return sentTime(h.stored?.structure.envelope.date ?? null) ?? h.summary.internalDate.getTime();
}

function nodeDate(n: Node): number {
  if (n.hit) return dateOf(n.hit);
  return n.children.length ? nodeDate(n.children[0]!) : 0;
}

function nodeSeq(n: Node): number {
  if (n.hit) return n.hit.seq;
  return n.children.length ? nodeSeq(n.children[0]!) : 0;
}

function byDate(a: Node, b: Node): number {
  return nodeDate(a) - nodeDate(b) || nodeSeq(a) - nodeSeq(b);
}

/** RFC 5256 §4 thread-list syntax: a single child continues the line, several children are parenthesised. */
function format(n: Node, id: (h: SearchHit) => number): string {
  const parts: string[] = [];
  if (n.hit) parts.push(String(id(n.hit)));
  if (n.children.length === 1) parts.push(format(n.children[0]!, id));
  else if (n.children.length > 1) parts.push(n.children.map((c) => `(${format(c, id)})`).join(''));
  return parts.join(' ');
}

function orderedSubject(hits: SearchHit[]): Node[] {
  const groups = new Map<string, SearchHit[]>();
  for (const h of hits) {
    const s = baseSubject(h.stored?.structure.envelope.subject ?? null);
    const g = groups.get(s);
    if (g) g.push(h);
    else groups.set(s, [h]);
  }
  const roots: Node[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => dateOf(a) - dateOf(b) || a.seq - b.seq);
    // RFC 5256 §4: the first message is the parent, all others its children.
    const root: Node = { hit: g[0]!, parent: null, children: [] };
    for (const h of g.slice(1)) root.children.push({ hit: h, parent: root, children: [] });
    roots.push(root);
  }
  return roots.sort(byDate);
}

function msgIds(s: string): string[] {
  return s.match(/<[^<>\s]+>/g) ?? [];
}

function isAncestor(a: Node, b: Node): boolean {
  for (let p: Node | null = b; p; p = p.parent) if (p === a) return true;
  return false;
}

function link(parent: Node, child: Node): void {
  if (child.parent === parent || isAncestor(child, parent) || child === parent) return;
  if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
  child.parent = parent;
  parent.children.push(child);
}

async function references(ctx: { blobs: BlobStore }, hits: SearchHit[]): Promise<Node[]> {
  const byId = new Map<string, Node>();
  const get = (id: string): Node => {
    let n = byId.get(id);
    if (!n) {
      n = { hit: null, parent: null, children: [] };
      byId.set(id, n);
    }
    return n;
  };
  const all: Node[] = [];
  for (const h of hits) {
    const fields = new MessageFields(ctx.blobs, h.stored!);
    const own = msgIds(h.stored!.structure.envelope.messageId ?? '')[0];
    let node: Node;
    if (own && !byId.get(own)?.hit) {
      node = get(own);
      node.hit = h;
    } else node = { hit: h, parent: null, children: [] }; // duplicate or missing Message-ID: a unique container
    all.push(node);
    let refs = msgIds((await fields.header('references')).join(' '));
    if (!refs.length) refs = msgIds((await fields.header('in-reply-to'))[0] ?? '').slice(0, 1);
    // RFC 5256 §4 step 1: link the references in order, then the message under the last one.
    let prev: Node | null = null;
    for (const r of refs) {
      const n = get(r);
      if (prev && !n.parent) link(prev, n);
      prev = n;
    }
    if (prev) {
      if (node.parent) node.parent.children = node.parent.children.filter((c) => c !== node);
      node.parent = null;
      link(prev, node);
    }
  }
  const containers = new Set<Node>([...byId.values(), ...all]);
  // Step 4: prune empty containers (promote their children).
  const prune = (n: Node): Node[] => {
    const kids = n.children.flatMap(prune);
    n.children = kids;
    for (const k of kids) k.parent = n;
    if (n.hit) return [n];
    if (kids.length === 0) return [];
    // An empty container: keep at the root only when it has several children.
    if (n.parent === null && kids.length > 1) return [n];
    return kids;
  };
  let roots: Node[] = [];
  for (const n of containers) if (n.parent === null) roots.push(...prune(n));
  for (const r of roots) r.parent = null;
  const sortTree = (n: Node): void => {
    n.children.sort(byDate);
    n.children.forEach(sortTree);
  };
  roots = roots.filter((r, i) => roots.indexOf(r) === i);
  roots.forEach(sortTree);
  return roots.sort(byDate);
}

export const threadCommand = defineCommand({
  names: ['THREAD'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const store = ctx.deps.store;
    const hits = await runSearch({ store, mailboxId: sel.mailbox.id, view: sel.view, savedUids: ctx.savedUids }, cmd.search, { withStored: true });
    const roots = cmd.algorithm === 'ORDEREDSUBJECT' ? orderedSubject(hits) : await references({ blobs: store.blobs }, hits);
    const id = (h: SearchHit): number => (cmd.uid ? h.uid : h.seq);
    const text = roots.map((r) => `(${format(r, id)})`).join('');
    await ctx.write(Buffer.from(`* THREAD${text ? ' ' + text : ''}\r\n`));
    return ok(`${cmd.uid ? 'UID ' : ''}THREAD completed`);
  },
});
