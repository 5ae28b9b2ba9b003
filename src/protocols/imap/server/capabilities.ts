/**
 * The CAPABILITY list (RFC 9051 §7.2.2) for a session's state. Only what is implemented is listed.
 * Before TLS on a listener without allow_plaintext_auth, LOGINDISABLED is advertised and no AUTH=
 * mechanism (RFC 9051 §6.2.3, RFC 8314); STARTTLS only while it is still possible.
 */

export interface CapabilityInput {
  authenticated: boolean;
  loginDisabled: boolean;
  canStartTls: boolean;
  compressed: boolean;
  appendLimit: number;
}

/** Extensions advertised in every state. */
const COMMON = [
  'IMAP4rev1',
  'IMAP4rev2',
  'LITERAL+',
  'SASL-IR',
  'ID',
  'ENABLE',
  'IDLE',
  'NAMESPACE',
  'UNSELECT',
  'UIDPLUS',
  'MOVE',
  'CHILDREN',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'SPECIAL-USE',
  'CREATE-SPECIAL-USE',
  'ESEARCH',
  'SEARCHRES',
  'CONDSTORE',
  'QRESYNC',
  'STATUS=SIZE',
  'UTF8=ACCEPT',
  'MULTIAPPEND',
  'BINARY',
  'SORT',
  'THREAD=ORDEREDSUBJECT',
  'THREAD=REFERENCES',
  'QUOTA',
  'QUOTA=RES-STORAGE',
];

export function capabilityList(s: CapabilityInput): string[] {
  const caps = [...COMMON, `APPENDLIMIT=${s.appendLimit}`];
  if (!s.authenticated) {
    if (s.canStartTls) caps.push('STARTTLS');
    if (s.loginDisabled) caps.push('LOGINDISABLED');
    else caps.push('AUTH=PLAIN', 'AUTH=LOGIN');
  }
  // RFC 4978 §3: COMPRESS once per connection, after authentication is fine.
  if (!s.compressed) caps.push('COMPRESS=DEFLATE');
  return caps;
}
