/**
 * RFC 5322 §3.4 address lists (From, To, Cc, ...) parsed into IMAP ENVELOPE addresses (RFC 3501 §7.4.2,
 * RFC 9051 §7.5.2): [name, adl, mailbox, host].
 *
 * Strings stay raw: encoded-words are not decoded (IMAP clients decode them); quoted-strings lose their quotes
 * and quoted-pairs. Group syntax gives a start marker (mailbox = group name, host = null) and an end marker
 * (all null). Lenient with the obsolete and broken forms seen in real mail (RFC 5322 §4.4): source routes,
 * empty list members, missing angle brackets, missing domain (host "MISSING_DOMAIN", as Dovecot writes it),
 * and a comment used as the name when there is no display name. Never throws.
 */

import type { EnvelopeAddress } from './structure.js';

export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

type Token =
  | { t: 'word'; v: string } // atom or quoted-string (v unquoted)
  | { t: 'qs'; v: string }
  | { t: 'comment'; v: string }
  | { t: 'dlit'; v: string } // domain literal with brackets
  | { t: 'sp'; v: string }; // one of the specials < > @ , ; : .

const SPECIALS = '<>@,;:.';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        v += s[i];
        i++;
      }
      i++; // closing quote (or end of input)
      out.push({ t: 'qs', v });
    } else if (c === '(') {
      // RFC 5322 §3.2.2 comments nest and may contain quoted-pairs.
      let depth = 1;
      let v = '';
      i++;
      while (i < n && depth > 0) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < n) {
          v += s[i + 1];
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
        v += d;
        i++;
      }
      i++;
      out.push({ t: 'comment', v: v.trim() });
    } else if (c === '[') {
      const close = s.indexOf(']', i);
      const end = close === -1 ? n : close + 1;
      out.push({ t: 'dlit', v: s.slice(i, end) });
      i = end;
    } else if (SPECIALS.includes(c)) {
      out.push({ t: 'sp', v: c });
      i++;
    } else {
      let j = i;
      while (j < n && !' \t\r\n"()[<>@,;:.'.includes(s[j]!)) j++;
      if (j === i) j++; // a lone ")" or "]" etc.: keep it as text
      out.push({ t: 'word', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

/** A display name: words joined by one space, "." glued to the word before it (obs-phrase). */
function phraseOf(tokens: Token[]): string | null {
  let out = '';
  for (const tok of tokens) {
    if (tok.t === 'comment') continue;
    const glue = out === '' || (tok.t === 'sp' && tok.v === '.');
    out += glue ? tok.v : ` ${tok.v}`;
  }
  out = out.trim();
  return out === '' ? null : out;
}

function quoteIfNeeded(v: string): string {
  return /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

/** The addr-spec inside (or without) angle brackets, route split off. */
function addrSpecOf(tokens: Token[]): { adl: string | null; mailbox: string; host: string } | null {
  let toks = tokens.filter((t) => t.t !== 'comment');
  let adl: string | null = null;
  if (toks.length > 0 && toks[0]!.t === 'sp' && toks[0]!.v === '@') {
    // obs-route (RFC 5322 §4.4): "@a,@b:" before the addr-spec.
    const colon = toks.findIndex((t) => t.t === 'sp' && t.v === ':');
    if (colon !== -1) {
      adl = toks
        .slice(0, colon)
        .map((t) => t.v)
        .join('');
      toks = toks.slice(colon + 1);
    }
  }
  if (toks.length === 0) return null;
  let at = -1;
  for (let i = toks.length - 1; i >= 0; i--) {
    const t = toks[i]!;
    if (t.t === 'sp' && t.v === '@') {
      at = i;
      break;
    }
  }
  const localToks = at === -1 ? toks : toks.slice(0, at);
  const domToks = at === -1 ? [] : toks.slice(at + 1);
  let mailbox = '';
  for (const t of localToks) mailbox += t.t === 'qs' ? quoteIfNeeded(t.v) : t.v;
  let host = '';
  for (const t of domToks) host += t.v;
  return { adl, mailbox: mailbox || MISSING_MAILBOX, host: host || MISSING_DOMAIN };
}

function addressOf(tokens: Token[]): EnvelopeAddress | null {
  if (tokens.length === 0) return null;
  const lt = tokens.findIndex((t) => t.t === 'sp' && t.v === '<');
  if (lt !== -1) {
    let gt = tokens.findIndex((t, i) => i > lt && t.t === 'sp' && t.v === '>');
    if (gt === -1) gt = tokens.length;
    const spec = addrSpecOf(tokens.slice(lt + 1, gt));
    if (!spec) return null; // "<>" or "Name <>": nothing to address
    const name = phraseOf(tokens.slice(0, lt));
    return { name, adl: spec.adl, mailbox: spec.mailbox, host: spec.host };
  }
  const spec = addrSpecOf(tokens);
  if (!spec) return null;
  // "user@host (Real Name)": use the comment as the name (RFC 822 habit).
  const comments = tokens.filter((t) => t.t === 'comment' && t.v !== '');
  const name = comments.length > 0 ? comments[comments.length - 1]!.v : null;
  return { name, adl: spec.adl, mailbox: spec.mailbox, host: spec.host };
}

/**
 * Parses an unfolded address-list header value. Returns null when it holds no address (absent or empty,
 * RFC 3501 §7.4.2 NIL).
 */
export function parseAddressList(value: string | null): EnvelopeAddress[] | null {
  if (value === null) return null;
  const tokens = tokenize(value);
  const out: EnvelopeAddress[] = [];
  let cur: Token[] = [];
  let angle = false;
  let inGroup = false;
  const flush = (): void => {
    const a = addressOf(cur);
    if (a) out.push(a);
    cur = [];
  };
  for (const tok of tokens) {
    if (tok.t === 'sp') {
      if (tok.v === '<') angle = true;
      else if (tok.v === '>') angle = false;
      else if (!angle && tok.v === ',') {
        flush();
        continue;
      } else if (!angle && tok.v === ':' && !inGroup && !cur.some((t) => t.t === 'sp' && t.v === '@')) {
        // RFC 5322 §3.4 group = display-name ":" [group-list] ";"
        out.push({ name: null, adl: null, mailbox: phraseOf(cur) ?? '', host: null });
        inGroup = true;
        cur = [];
        continue;
      } else if (!angle && tok.v === ';') {
        flush();
        if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
        inGroup = false;
        continue;
      }
    }
    cur.push(tok);
  }
  flush();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length === 0 ? null : out;
}
