/**
 * LDAP search filters from templates: `%s` in a configured filter becomes a value escaped per RFC 4515 §3,
 * so a login such as `*)(uid=*` matches nothing instead of rewriting the filter (LDAP injection).
 *
 * Invariants: every character that is special in a filter (`*`, `(`, `)`, `\`, NUL) leaves as `\XX`; other
 * characters, UTF-8 included, pass unchanged (RFC 4515 allows UTF-8 in values). Pure; no I/O.
 */

/** RFC 4515 §3: valueencoding escapes ASTERISK, LPARENS, RPARENS, ESC and NUL as a backslash and two hex digits. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The filter template with every `%s` replaced by the escaped value (and `%%` by `%`). */
export function fillFilter(template: string, value: string): string {
  const escaped = escapeFilterValue(value);
  return template.replace(/%[s%]/g, (m) => (m === '%%' ? '%' : escaped));
}

