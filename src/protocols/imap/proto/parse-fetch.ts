/**
 * FETCH attribute parsing (RFC 9051 §6.4.5, RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ):
 * macros, body sections `[1.2.HEADER.FIELDS (A B)]`, partials `<o.n>`, and the label a response uses for an
 * attribute (`BODY[1.TEXT]<0>`). Pure; errors are ParseError('syntax').
 */

import { ParseError } from './errors.js';
import type { FetchAtt, Partial, Section } from './command-types.js';
import type { Cursor } from './tokenizer.js';

/** RFC 9051 §6.4.5 macros. FULL (rev1 only) adds BODY. */
export const FETCH_MACROS: Record<'ALL' | 'FAST' | 'FULL', FetchAtt[]> = {
  ALL: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }],
  FAST: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }],
  FULL: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }, { kind: 'BODY' }],
};

const SIMPLE = new Set([
  'ENVELOPE', 'FLAGS', 'INTERNALDATE', 'RFC822', 'RFC822.HEADER', 'RFC822.SIZE', 'RFC822.TEXT', 'BODYSTRUCTURE',
  'UID', 'MODSEQ', 'SAVEDATE', 'EMAILID', 'THREADID',
]);

/** Max depth of a section part path; real messages are far shallower. */
const MAX_PART_DEPTH = 100;

/** Reads letters, digits, '.', '-' and '$': an attribute or section keyword. */
function readName(c: Cursor): string {
  const start = c.pos;
  while (!c.atEnd) {
    const ch = c.peek();
    const ok =
      (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x30 && ch <= 0x39) || ch === 0x2e || ch === 0x2d;
    if (!ok) break;
    c.pos++;
  }
  if (c.pos === start) c.fail('Expected a fetch attribute');
  return c.buf.toString('latin1', start, c.pos).toUpperCase();
}

/** section-part = nz-number *("." nz-number), stopping before a "." that is not followed by a digit. */
function readPartNumbers(c: Cursor): number[] {
  const part: number[] = [c.nzNumber()];
  while (c.is('.') && c.peek(1) >= 0x30 && c.peek(1) <= 0x39) {
    c.pos++;
    part.push(c.nzNumber());
    if (part.length > MAX_PART_DEPTH) c.fail('Section part too deep');
  }
  return part;
}

/** RFC 9051 §9 section = "[" [section-spec] "]". The cursor is at "[". */
export function parseSection(c: Cursor): Section {
  c.expect('[');
  const section: Section = { part: [], text: null, fields: null };
  if (c.maybe(']')) return section;
  const p = c.peek();
  let needText = true;
  if (p >= 0x30 && p <= 0x39) {
    section.part = readPartNumbers(c);
    needText = c.maybe('.');
  }
  if (needText) {
    const name = readName(c);
    switch (name) {
      case 'HEADER':
      case 'TEXT':
        section.text = name;
        break;
      case 'MIME':
        // RFC 9051 §6.4.5: MIME only after a part number
        if (!section.part.length) c.fail('MIME requires a part number');
        section.text = 'MIME';
        break;
      case 'HEADER.FIELDS':
      case 'HEADER.FIELDS.NOT': {
        section.text = name;
        c.sp();
        c.expect('(');
        const fields = [c.astring()];
        while (c.maybeSp()) fields.push(c.astring());
        c.expect(')');
        for (const f of fields) if (!/^[\x21-\x39\x3b-\x7e]+$/.test(f)) c.fail('Invalid header field name');
        section.fields = fields;
        break;
      }
      default:
        c.fail(`Invalid section ${name.slice(0, 30)}`);
    }
  }
  c.expect(']');
  return section;
}

/** RFC 3516 section-binary = "[" [section-part] "]". */
function parseBinarySection(c: Cursor): number[] {
  c.expect('[');
  if (c.maybe(']')) return [];
  const part = readPartNumbers(c);
  c.expect(']');
  return part;
}

/** partial = "<" number "." nz-number ">" (RFC 9051 §9). */
function parsePartial(c: Cursor): Partial | null {
  if (!c.maybe('<')) return null;
  const offset = c.number();
  c.expect('.');
  const length = c.nzNumber();
  c.expect('>');
  return { offset, length };
}

/** One fetch-att. */
export function parseFetchAtt(c: Cursor): FetchAtt {
  const name = readName(c);
  if (SIMPLE.has(name)) return { kind: name } as FetchAtt;
  switch (name) {
    case 'BODY':
      if (!c.is('[')) return { kind: 'BODY' };
      return { kind: 'BODY[]', peek: false, section: parseSection(c), partial: parsePartial(c) };
    case 'BODY.PEEK':
      return { kind: 'BODY[]', peek: true, section: parseSection(c), partial: parsePartial(c) };
    case 'BINARY':
    case 'BINARY.PEEK':
      return { kind: 'BINARY[]', peek: name === 'BINARY.PEEK', part: parseBinarySection(c), partial: parsePartial(c) };
    case 'BINARY.SIZE':
      return { kind: 'BINARY.SIZE', part: parseBinarySection(c) };
    default:
      throw new ParseError('syntax', `Unknown fetch attribute ${name.slice(0, 30)}`);
  }
}

/** The macro, one attribute, or a parenthesised list of attributes. */
export function parseFetchAtts(c: Cursor): FetchAtt[] {
  if (c.maybe('(')) {
    const atts = [parseFetchAtt(c)];
    while (c.maybeSp()) atts.push(parseFetchAtt(c));
    c.expect(')');
    return atts;
  }
  const save = c.pos;
  const name = readName(c);
  if (name === 'ALL' || name === 'FAST' || name === 'FULL') return [...FETCH_MACROS[name]];
  c.pos = save;
  return [parseFetchAtt(c)];
}

/** The section text inside the brackets: `1.2.HEADER.FIELDS (A B)`. */
export function formatSection(s: Section): string {
  const parts: string[] = [];
  if (s.part.length) parts.push(s.part.join('.'));
  if (s.text) {
    let t: string = s.text;
    if (s.fields) t += ` (${s.fields.map((f) => f.toUpperCase()).join(' ')})`;
    parts.push(t);
  }
  return parts.join('.');
}

/**
 * The attribute name a FETCH response uses (RFC 9051 §7.5.2): `BODY[...]` without PEEK, `<origin>` only
 * (no length) for partials, `BINARY[1]`, `BINARY.SIZE[1]`.
 */
export function fetchResponseLabel(att: FetchAtt): string {
  switch (att.kind) {
    case 'BODY[]':
      return `BODY[${formatSection(att.section)}]${att.partial ? `<${att.partial.offset}>` : ''}`;
    case 'BINARY[]':
      return `BINARY[${att.part.join('.')}]${att.partial ? `<${att.partial.offset}>` : ''}`;
    case 'BINARY.SIZE':
      return `BINARY.SIZE[${att.part.join('.')}]`;
    default:
      return att.kind;
  }
}

/** True when fetching the attribute sets \Seen (RFC 9051 §6.4.5: BODY[...], BINARY[...], RFC822, RFC822.TEXT). */
export function fetchSetsSeen(att: FetchAtt): boolean {
  return (
    ((att.kind === 'BODY[]' || att.kind === 'BINARY[]') && !att.peek) || att.kind === 'RFC822' || att.kind === 'RFC822.TEXT'
  );
}
