/**
 * MIME content header fields (RFC 2045 §5, §6, RFC 2183, RFC 3282, RFC 2557, RFC 1864, RFC 2231) parsed into the
 * shapes `MimePart` stores. Values come in unfolded; comments are removed outside quoted-strings. Parameter
 * names are lower-cased; RFC 2231 continuations and charsets are decoded (libmime), and RFC 2047 encoded-words
 * inside plain parameter values (a common Outlook habit) are decoded too. Never throws.
 */

import libmime from 'libmime';

export interface ContentType {
  type: string;
  subtype: string;
  params: Record<string, string>;
}

// RFC 2045 §5.1 token
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Removes RFC 5322 §3.2.2 comments that are outside quoted-strings. */
export function stripComments(s: string): string {
  if (!s.includes('(')) return s;
  let out = '';
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (inQuote || depth > 0)) {
      if (depth === 0) out += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') inQuote = !inQuote;
    if (!inQuote) {
      if (c === '(') {
        depth++;
        continue;
      }
      if (c === ')' && depth > 0) {
        depth--;
        if (depth === 0) out += ' ';
        continue;
      }
    }
    if (depth === 0) out += c;
  }
  return out;
}

/** Parses `value; a=b; c*0=...` into a lower-cased value and decoded params. */
export function parseValueWithParams(raw: string): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  let parsed: { value: string; params: Record<string, string>; decodedParams?: string[] };
  try {
    parsed = libmime.parseHeaderValue(stripComments(raw));
  } catch {
    return { value: raw.split(';')[0]!.trim().toLowerCase(), params };
  }
  const rfc2231 = new Set(parsed.decodedParams ?? []);
  for (const [k, v] of Object.entries(parsed.params)) {
    if (k === '__proto__' || typeof v !== 'string') continue;
    let val = v;
    if (!rfc2231.has(k) && val.includes('=?')) {
      try {
        val = libmime.decodeWords(val);
      } catch {
        // keep the raw value
      }
    }
    params[k] = val;
  }
  return { value: (parsed.value ?? '').trim().toLowerCase(), params };
}

/**
 * Content-Type (RFC 2045 §5). Absent or syntactically invalid → the default: `text/plain; charset=us-ascii`
 * (RFC 2045 §5.2), or `message/rfc822` inside multipart/digest (RFC 2046 §5.1.5). text/* always gets a charset.
 */
export function parseContentType(raw: string | null, digestDefault: boolean): ContentType {
  const fallback = (): ContentType =>
    digestDefault
      ? { type: 'message', subtype: 'rfc822', params: {} }
      : { type: 'text', subtype: 'plain', params: { charset: 'us-ascii' } };
  if (raw === null) return fallback();
  const { value, params } = parseValueWithParams(raw);
  const slash = value.indexOf('/');
  if (slash === -1) return fallback();
  const type = value.slice(0, slash).trim();
  const subtype = value.slice(slash + 1).trim();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return fallback();
  // RFC 2046 §4.1.2: text without a charset parameter is US-ASCII; say so, as BODYSTRUCTURE shows it.
  if (type === 'text' && !params['charset']) params['charset'] = 'us-ascii';
  return { type, subtype, params };
}

/** Content-Transfer-Encoding (RFC 2045 §6), upper-cased; "7BIT" when absent or empty (RFC 2045 §6.1). */
export function parseTransferEncoding(raw: string | null): string {
  if (raw === null) return '7BIT';
  const m = /^[^\s;]+/.exec(stripComments(raw).trim());
  return m ? m[0].toUpperCase() : '7BIT';
}

/** Content-Disposition (RFC 2183): lower-cased type and decoded params; null when absent or empty. */
export function parseDisposition(raw: string | null): { type: string; params: Record<string, string> } | null {
  if (raw === null) return null;
  const { value, params } = parseValueWithParams(raw);
  if (value === '' || !TOKEN.test(value)) return null;
  return { type: value, params };
}

/** Content-Language (RFC 3282): the list of language tags; null when absent or empty. */
export function parseLanguage(raw: string | null): string[] | null {
  if (raw === null) return null;
  const tags = stripComments(raw)
    .split(/[\s,]+/)
    .filter((t) => t !== '');
  return tags.length > 0 ? tags : null;
}

/** Content-Location (RFC 2557 §4.1): the URI with folding whitespace removed; null when absent or empty. */
export function parseLocation(raw: string | null): string | null {
  if (raw === null) return null;
  const v = raw.replace(/[ \t]+/g, '');
  return v === '' ? null : v;
}

/** A raw single-value field (Content-ID, Content-MD5, Content-Description): null when absent or empty. */
export function rawOrNull(raw: string | null): string | null {
  return raw === null || raw === '' ? null : raw;
}
