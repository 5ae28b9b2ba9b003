/**
 * The Authentication-Results header field (RFC 8601) as this MTA writes and guards it:
 *   - `authResultsHeader(authservId, entries)` formats our field from result entries (`spf=pass ...`);
 *   - `stripForgedAuthResults(message, authservId)` removes every incoming Authentication-Results field whose
 *     authserv-id is ours (RFC 8601 §5: a border MTA MUST delete such fields, they cannot be ours yet);
 *   - `stripSpamHeaders` removes incoming X-Spam-* fields where our spam filter writes its verdict.
 *
 * Pure functions on bytes; the header block is read as latin1 so that 8-bit header bytes survive unchanged.
 */

/** RFC 8601 §2.2 authserv-id of a field value: the first token, CFWS and any version removed; lower case. */
export function authservIdOf(value: string): string {
  const noComments = stripComments(value);
  const first = noComments.split(';', 1)[0] ?? '';
  // authserv-id = value [ CFWS authres-version ]: the version is a number after whitespace.
  const token = first.trim().split(/\s+/, 1)[0] ?? '';
  return token.replace(/^"|"$/g, '').toLowerCase();
}

function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && depth > 0) {
      i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

/** Offset just past the blank line ending the header block, or the message length when there is none. */
function headerEnd(text: string): number {
  if (text.startsWith('\r\n')) return 2;
  if (text.startsWith('\n')) return 1;
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return text.length;
}

/** Splits a header block into whole fields (a field keeps its folded continuation lines and line ends). */
export function splitHeaderFields(block: string): string[] {
  const lines = block.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const fields: string[] = [];
  for (const line of lines) {
    const last = fields.length - 1;
    // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
    if ((line.startsWith(' ') || line.startsWith('\t')) && last >= 0) fields[last] += line;
    else fields.push(line);
  }
  return fields;
}

/** Removes the header fields (name lower-cased, unfolded value) that `drop` selects; the body is untouched. */
export function removeHeaderFields(message: Buffer, drop: (name: string, value: string) => boolean): { data: Buffer; removed: number } {
  const text = message.toString('latin1');
  const end = headerEnd(text);
  const fields = splitHeaderFields(text.slice(0, end));
  let removed = 0;
  const kept = fields.filter((f) => {
    const colon = f.indexOf(':');
    if (colon <= 0) return true;
    const name = f.slice(0, colon).trim().toLowerCase();
    if (!drop(name, f.slice(colon + 1).replace(/\r?\n/g, ''))) return true;
    removed++;
    return false;
  });
  if (removed === 0) return { data: message, removed: 0 };
  return { data: Buffer.from(kept.join('') + text.slice(end), 'latin1'), removed };
}

/** Removes Authentication-Results fields carrying `authservId`; returns the message and how many went. */
export function stripForgedAuthResults(message: Buffer, authservId: string): { data: Buffer; removed: number } {
  const ours = authservId.toLowerCase();
  return removeHeaderFields(message, (name, value) => name === 'authentication-results' && authservIdOf(value) === ours);
}

/** Removes incoming X-Spam-* fields, so that only our filter's verdict can sit in a delivered message. */
export function stripSpamHeaders(message: Buffer): { data: Buffer; removed: number } {
  return removeHeaderFields(message, (name) => name.startsWith('x-spam-'));
}

/** Our Authentication-Results field (RFC 8601 §2.2), CRLF-terminated; `none` when no method produced a result. */
export function authResultsHeader(authservId: string, entries: readonly string[]): string {
  // RFC 8601 §2.2: "none" stands for no-result.
  const body = entries.length === 0 ? ' none' : `\r\n\t${entries.map((e) => e.replace(/\r?\n[ \t]*/g, ' ')).join(';\r\n\t')}`;
  return `Authentication-Results: ${authservId};${body}\r\n`;
}
