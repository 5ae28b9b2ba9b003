/**
 * The configuration schema: the single source of truth for every key of pochta.toml, its type, its
 * default and its one-line doc (DESIGN.md "Configuration"). The commented example (`example.ts`) and
 * docs/configuration.md (`scripts/gen-config-docs.ts`) are generated from it through `describeConfig()`.
 *
 * Invariants:
 * - Every key is registered in `keyDocs` with a doc line; every table is strict (unknown keys are errors).
 * - Defaults that depend on other keys (greeting, group, cert, key, max_literal_size, srs domain and
 *   secret_file, listener port and tls) are optional in the file and filled in by the final transform, so `Config` has them all set.
 * - Relative paths are NOT resolved here (the schema does not know the file's directory): `load.ts` does.
 *
 * Side effects: none (os.hostname() is read when a config without [server].hostname is parsed).
 */
import { isIP, SocketAddress } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import {
  accountName,
  arrayOf,
  bool,
  cidr,
  dnsServer,
  hostPort,
  hostname,
  intIn,
  listenAddress,
  nonEmptyLine,
  oneOf,
  pathString,
  portNumber,
  str,
  table,
} from './validators.js';

/** Documentation of one key or table of the schema. */
export interface KeyMeta {
  /** One line: what the key does. */
  doc: string;
  unit?: 'seconds' | 'milliseconds' | 'bytes';
  /** Shown instead of a literal default when the default is computed (from another key or the system). */
  defaultDoc?: string;
  /** A TOML value shown in the example for a key that has no default. */
  example?: string;
}

/** Doc lines for every key and table of the schema, keyed by the zod schema object. */
export const keyDocs = z.registry<KeyMeta>();

function key<T extends z.ZodType>(schema: T, meta: KeyMeta): T {
  keyDocs.add(schema, meta);
  return schema;
}

const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Listeners

export const PROTOCOLS = ['smtp', 'submission', 'lmtp', 'imap', 'pop3'] as const;
export type ListenerProtocol = (typeof PROTOCOLS)[number];
export const TLS_MODES = ['none', 'starttls', 'implicit'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** The address default listeners bind: "::" also accepts IPv4 (mapped) on Linux with bindv6only=0. */
export const DEFAULT_LISTEN_ADDRESS = '::';

/** Default port by protocol when `port` is omitted: [plain or STARTTLS, implicit TLS]. */
const DEFAULT_PORTS: Record<ListenerProtocol, readonly [number, number]> = {
  smtp: [25, 25],
  submission: [587, 465], // RFC 6409 §3.1; RFC 8314 §3.3
  lmtp: [24, 24], // RFC 2033 §5 reserves port 24 for private use
  imap: [143, 993], // RFC 9051 §2.1; RFC 8314 §3.2
  pop3: [110, 995], // RFC 1939 §3; RFC 8314 §3.2
};

const listenerObject = table({
  protocol: key(oneOf(PROTOCOLS), {
    doc: 'Protocol spoken on this socket: smtp (MX, port 25), submission (authenticated clients), lmtp, imap or pop3.',
  }),
  address: key(listenAddress().default(DEFAULT_LISTEN_ADDRESS), {
    doc: 'IP address to listen on ("::" is every IPv6 and IPv4 address), or "unix:/path" for an lmtp socket.',
  }),
  port: key(portNumber().optional(), {
    doc: 'TCP port; not set for unix sockets (the parsed config then has 0).',
    defaultDoc: 'by protocol: smtp 25, submission 587 (465 with implicit TLS), lmtp 24, imap 143 (993), pop3 110 (995)',
  }),
  tls: key(oneOf(TLS_MODES).optional(), {
    doc: 'TLS on this socket: none, starttls (offered, and required before AUTH), or implicit (TLS from the first byte, RFC 8314).',
    defaultDoc: '"none" for lmtp, "starttls" otherwise',
  }),
  ptr_check: key(oneOf(['off', 'require', 'match']).default('off'), {
    doc: 'smtp only: off; require = the client IP has a PTR name that resolves back to it (FCrDNS); match = also, that name is in the MAIL FROM domain\'s registered domain.',
  }),
  ptr_action: key(oneOf(['reject', 'tag']).default('reject'), {
    doc: 'What a failed ptr_check does: reject the session, or tag the message and let later checks decide.',
  }),
  allow_plaintext_auth: key(bool().default(false), {
    doc: 'Allow password authentication before TLS is active (never on the open Internet).',
  }),
});

type ListenerInput = z.output<typeof listenerObject>;

function isUnixAddress(address: string): boolean {
  return address.startsWith('unix:');
}

function resolveListener(l: ListenerInput) {
  const tls: TlsMode = l.tls ?? (l.protocol === 'lmtp' ? 'none' : 'starttls');
  const port = isUnixAddress(l.address) ? 0 : (l.port ?? DEFAULT_PORTS[l.protocol][tls === 'implicit' ? 1 : 0]);
  return { ...l, tls, port };
}

const listenerSchema = listenerObject
  .superRefine((l, ctx) => {
    const unix = isUnixAddress(l.address);
    if (unix && l.protocol !== 'lmtp') {
      ctx.addIssue({ code: 'custom', path: ['address'], input: l.address, message: 'unix sockets are only for lmtp listeners' });
    }
    if (unix && l.port !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['port'], input: l.port, message: 'must not be set with a unix: address' });
    }
    if (unix && l.tls === 'implicit') {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        input: l.tls,
        message: 'implicit TLS is impossible on a unix socket; use "none" or "starttls"',
      });
    }
    if (l.protocol !== 'smtp' && l.ptr_check !== 'off') {
      ctx.addIssue({ code: 'custom', path: ['ptr_check'], input: l.ptr_check, message: 'applies only to smtp listeners' });
    }
  })
  .transform(resolveListener);

export type Listener = z.output<typeof listenerSchema>;

/**
 * The listeners used when the file has no [[listeners]]: smtp 25, submission 587 and 465, imap 143 and 993,
 * pop3 110 and 995, every port plus `portOffset` (a non-root run uses 10000: 10025, 10587, ...).
 */
export function defaultListeners(portOffset = 0): Listener[] {
  const mk = (protocol: ListenerProtocol, port: number, tls: TlsMode): Listener => ({
    protocol,
    address: DEFAULT_LISTEN_ADDRESS,
    port: port + portOffset,
    tls,
    ptr_check: 'off',
    ptr_action: 'reject',
    allow_plaintext_auth: false,
  });
  return [
    mk('smtp', 25, 'starttls'),
    mk('submission', 587, 'starttls'),
    mk('submission', 465, 'implicit'),
    mk('imap', 143, 'starttls'),
    mk('imap', 993, 'implicit'),
    mk('pop3', 110, 'starttls'),
    mk('pop3', 995, 'implicit'),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Sections

const server = table({
  hostname: key(hostname().default(() => osHostname()), {
    doc: 'Fully qualified host name: SMTP greeting and EHLO, Received headers, DSNs and TLS certificate name.',
    defaultDoc: 'the system host name',
  }),
  data_dir: key(pathString().default('./data'), {
    doc: 'Directory for the database, message files, queue and TLS keys (relative to this file).',
  }),
  user: key(accountName().or(z.literal('')).default('pochta'), {
    doc: 'Unprivileged user to switch to after binding the ports when started as root ("" keeps root: not recommended).',
  }),
  group: key(accountName().optional(), {
    doc: 'Group to switch to when started as root.',
    defaultDoc: 'same as user',
  }),
  shutdown_timeout: key(intIn(1, 3600).default(30), {
    doc: 'On SIGTERM, how long open sessions may finish before they are closed.',
    unit: 'seconds',
  }),
});

const tls = table({
  cert: key(pathString().optional(), {
    doc: 'PEM certificate chain (relative to this file); a self-signed one is made on first start if missing.',
    defaultDoc: '<data_dir>/tls/cert.pem',
  }),
  key: key(pathString().optional(), {
    doc: 'PEM private key for cert (relative to this file).',
    defaultDoc: '<data_dir>/tls/key.pem',
  }),
  min_version: key(oneOf(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'), {
    // RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8314 §4.1 asks for TLS 1.2 or later.
    doc: 'Oldest TLS version accepted (TLS 1.0 and 1.1 are refused, RFC 8996).',
  }),
});

const dns = table({
  servers: key(arrayOf(dnsServer()).default([]), {
    doc: 'DNS resolvers as "ip" or "ip:port" ("[ipv6]:port"); empty uses the system resolvers (/etc/resolv.conf).',
  }),
  timeout_ms: key(intIn(1, 60_000).default(5000), {
    doc: 'Timeout of one DNS query attempt.',
    unit: 'milliseconds',
  }),
  tries: key(intIn(1, 10).default(2), {
    doc: 'Attempts per DNS query before giving up (a temporary failure).',
  }),
});

const smtp = table({
  greeting: key(nonEmptyLine().optional(), {
    doc: 'Text after "220" in the SMTP greeting; RFC 5321 §4.3.1 wants the host name first.',
    defaultDoc: '"<hostname> ESMTP pochta"',
  }),
  max_message_size: key(intIn(1024).default(50 * MiB), {
    doc: 'Largest message accepted, announced as SIZE (RFC 1870).',
    unit: 'bytes',
  }),
  // RFC 5321 §4.5.3.1.8: a server MUST accept at least 100 recipients.
  max_recipients: key(intIn(100, 1_000_000).default(1000), {
    doc: 'Recipients per message; further RCPT TO get 452 (RFC 5321 §4.5.3.1.8 needs at least 100).',
  }),
  max_connections: key(intIn(1).default(500), {
    doc: 'Simultaneous SMTP, submission and LMTP sessions; more are refused with 421.',
  }),
  max_connections_per_ip: key(intIn(1).default(20), {
    doc: 'Simultaneous sessions from one client IP address.',
  }),
  // RFC 5321 §4.5.3.2.7: the server timeout SHOULD be at least 5 minutes.
  command_timeout: key(intIn(1, 86_400).default(300), {
    doc: 'Idle time allowed between commands (RFC 5321 §4.5.3.2.7 suggests at least 5 minutes).',
    unit: 'seconds',
  }),
  data_timeout: key(intIn(1, 86_400).default(600), {
    doc: 'Time allowed for the whole DATA/BDAT transfer of one message.',
    unit: 'seconds',
  }),
  // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF; accept at least that.
  max_line_length: key(intIn(1000, 1_048_576).default(4096), {
    doc: 'Longest line accepted, including CRLF (RFC 5321 §4.5.3.1.6 allows 1000; be liberal).',
    unit: 'bytes',
  }),
  max_errors: key(intIn(1, 1000).default(10), {
    doc: 'Failed or unknown commands before the session is closed with 421.',
  }),
  greet_pause_ms: key(intIn(0, 30_000).default(0), {
    doc: 'Wait this long before the 220 greeting; a client that talks first is refused (like postscreen_greet_wait). 0 greets at once, as smtpd does.',
  }),
  max_received_headers: key(intIn(1, 1000).default(50), {
    doc: 'Received headers after which a message is refused as a mail loop (RFC 5321 §6.3).',
  }),
  over_quota: key(oneOf(['temporary', 'permanent']).default('temporary'), {
    doc: 'Reply for a full mailbox: temporary (452 4.2.2, the sender retries) or permanent (552 5.2.2).',
  }),
  plus_separator: key(
    str()
      .refine((s) => s.length <= 1 && !/[@\s"\\]/.test(s), { error: 'must be one character (not @, space, quote or backslash) or ""' })
      .default('+'),
    { doc: 'Separator of address extensions (user+tag@domain delivers to user@domain); "" disables.' },
  ),
});

const relay = table({
  trusted_networks: key(arrayOf(cidr()).default(['127.0.0.0/8', '::1/128']), {
    doc: 'Client networks (CIDR) allowed to relay without authentication, like Postfix mynetworks.',
  }),
  pop_before_smtp: key(bool().default(false), {
    doc: 'POP-before-SMTP: a successful POP3 or IMAP login lets that client IP relay for pop_before_smtp_minutes.',
  }),
  pop_before_smtp_minutes: key(z.number({ error: 'must be a number of minutes' }).positive({ error: 'must be > 0' }).default(10), {
    doc: 'How long (in minutes, fractions allowed) a POP3 or IMAP login lets its IP relay; see `pochta relay list`.',
  }),
});

// Sender Rewriting Scheme for forwarded mail (issue 7 item 6; postsrsd's format and defaults).
const srs = table({
  enabled: key(bool().default(true), {
    doc: 'Rewrite the envelope sender of mail an alias forwards to a remote address (SRS0=...@domain) when the sender is not in one of our domains, and relay bounces to valid SRS addresses back to the original sender.',
  }),
  domain: key(hostname().optional(), {
    doc: 'Domain of the rewritten senders; it must receive mail here (MX or A record) and should publish SPF for this server.',
    defaultDoc: 'server.hostname',
  }),
  secret_file: key(pathString().optional(), {
    doc: 'File of HMAC secrets, one per line (postsrsd format; the first signs, all verify); created with a random secret, mode 0600, when missing.',
    defaultDoc: '<data_dir>/srs.secret',
  }),
  max_age: key(intIn(1, 1023).default(21), {
    doc: 'How many days an SRS address stays valid for bounces (postsrsd default: 21).',
  }),
});

const queue = table({
  retry_initial: key(intIn(1).default(300), {
    doc: 'Delay before the first retry of a deferred message; it doubles on each attempt.',
    unit: 'seconds',
  }),
  retry_max: key(intIn(1).default(14_400), {
    doc: 'Longest delay between two delivery attempts.',
    unit: 'seconds',
  }),
  // RFC 5321 §4.5.4.1: give up after at least 4-5 days.
  max_lifetime: key(intIn(1).default(5 * 86_400), {
    doc: 'Time after which an undeliverable message is bounced (RFC 5321 §4.5.4.1: 4-5 days).',
    unit: 'seconds',
  }),
  delay_warning: key(intIn(0).default(4 * 3600), {
    doc: 'Age at which the sender gets a "still trying" DSN (RFC 3464); 0 sends none.',
    unit: 'seconds',
  }),
  concurrency: key(intIn(1, 10_000).default(20), {
    doc: 'Outbound deliveries in progress at once.',
  }),
  concurrency_per_domain: key(intIn(1, 10_000).default(5), {
    doc: 'Outbound deliveries in progress at once to one destination domain.',
  }),
  remote_port: key(portNumber().default(25), {
    doc: 'Port of remote MX hosts (change only for tests).',
  }),
  relay_host: key(hostPort().optional(), {
    doc: 'Send all outbound mail through this smarthost ("host:port", port 25 if omitted) instead of MX lookup.',
    example: '"smtp.example.net:587"',
  }),
  relay_user: key(str().optional(), {
    doc: 'User name for AUTH at relay_host.',
    example: '"pochta"',
  }),
  relay_password: key(str().optional(), {
    doc: 'Password for AUTH at relay_host (keep this file mode 0600).',
    example: '"secret"',
  }),
  relay_tls: key(oneOf(['verify', 'encrypt', 'may']).default('verify'), {
    doc: 'TLS to relay_host: verify = STARTTLS required and the certificate checked against the system CAs or relay_tls_ca (Postfix "secure"); encrypt = STARTTLS required, not checked; may = when offered (then no AUTH without TLS).',
  }),
  relay_tls_ca: key(str().optional(), {
    doc: 'PEM file of the CA that signed relay_host\'s certificate (default: the system CAs).',
    example: '"/etc/pochta/smarthost-ca.pem"',
  }),
});

const imap = table({
  max_connections_per_user: key(intIn(1, 100_000).default(50), {
    doc: 'Simultaneous IMAP sessions of one user.',
  }),
  // RFC 9051 §5.4: the autologout timer of an authenticated session is at least 30 minutes.
  idle_timeout: key(intIn(1, 86_400).default(1800), {
    doc: 'Inactivity before a session is closed (RFC 9051 §5.4 asks for at least 30 minutes).',
    unit: 'seconds',
  }),
  max_literal_size: key(intIn(1024).optional(), {
    doc: 'Largest literal accepted (APPEND size), announced as APPENDLIMIT (RFC 7889).',
    unit: 'bytes',
    defaultDoc: 'smtp.max_message_size',
  }),
  max_line_length: key(intIn(1024, 16 * 1024 * 1024).default(64 * 1024), {
    doc: 'Longest command line accepted, literals not counted (a longer one gets BAD and is skipped).',
    unit: 'bytes',
  }),
  auth_cache_ttl: key(intIn(0, 86_400).default(60), {
    doc: 'How long a successful password check is cached (saves a hash per reconnect); 0 disables.',
    unit: 'seconds',
  }),
});

const pop3 = table({
  // RFC 1939 §3: the autologout timer MUST be at least 10 minutes.
  idle_timeout: key(intIn(1, 86_400).default(600), {
    doc: 'Inactivity before a session is closed (RFC 1939 §3 asks for at least 10 minutes).',
    unit: 'seconds',
  }),
});

/** A DNSBL/DNSWL zone, optionally with the return codes that count: "zen.example" or "zen.example=127.0.0.2,127.0.0.4". */
const dnsListZone = () =>
  str().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)+(=127\.\d{1,3}\.\d{1,3}\.\d{1,3}(,127\.\d{1,3}\.\d{1,3}\.\d{1,3})*)?$/i, {
    error: 'must be a DNS zone, optionally followed by =127.x.y.z,... (the return codes that count)',
  });

const antispam = table({
  authentication: key(bool().default(true), {
    doc: 'Verify SPF (MAIL FROM and HELO), DKIM, DMARC and ARC of mail received on smtp listeners from untrusted, unauthenticated clients, and add Authentication-Results.',
  }),
  auth_timeout: key(intIn(1, 600).default(30), {
    doc: 'Longest time the SPF/DKIM/DMARC/ARC checks of one message may take; after it every result is temperror.',
    unit: 'seconds',
  }),
  dmarc_reject: key(oneOf(['reject', 'junk', 'tag']).default('reject'), {
    doc: 'A DMARC failure under p=reject: reject at end of DATA (550 5.7.1), deliver to Junk, or only tag.',
  }),
  dmarc_quarantine: key(oneOf(['junk', 'tag']).default('junk'), {
    doc: 'A DMARC failure under p=quarantine: deliver to Junk, or only tag.',
  }),
  spf_fail: key(oneOf(['reject', 'junk', 'tag']).default('tag'), {
    doc: 'An SPF fail (-all) of the MAIL FROM domain when DMARC did not pass: reject (550 5.7.23), deliver to Junk, or only tag.',
  }),
  dnsbl_zones: key(arrayOf(dnsListZone()).default([]), {
    doc: 'DNS blocklists queried with the client IP; "zone" counts any 127.x answer, "zone=127.0.0.2,127.0.0.3" only those codes.',
  }),
  dnswl_zones: key(arrayOf(dnsListZone()).default([]), {
    doc: 'DNS allowlists; a listed client skips the DNSBL action and greylisting.',
  }),
  dnsbl_action: key(oneOf(['reject', 'junk', 'tag']).default('reject'), {
    doc: 'What a client listed on dnsbl_threshold or more blocklists gets: 554 5.7.1 at connect, delivery to Junk, or only a header.',
  }),
  dnsbl_threshold: key(intIn(1, 100).default(1), {
    doc: 'How many of dnsbl_zones must list the client for dnsbl_action.',
  }),
  dnsbl_cache_ttl: key(intIn(0, 86_400).default(300), {
    doc: 'How long a DNSBL/DNSWL answer (listed or not) is reused; 0 disables the cache.',
    unit: 'seconds',
  }),
  greylisting: key(bool().default(false), {
    doc: 'Greylisting: the first delivery attempt of a (client network, sender, recipient) triplet gets 451 4.7.1.',
  }),
  greylist_delay: key(intIn(0, 86_400).default(300), {
    doc: 'How long a new triplet must wait before a retry is accepted.',
    unit: 'seconds',
  }),
  greylist_retry_window: key(intIn(60, 30 * 86_400).default(2 * 86_400), {
    doc: 'How long a first attempt is remembered waiting for its retry.',
    unit: 'seconds',
  }),
  greylist_pass_ttl: key(intIn(3600, 365 * 86_400).default(35 * 86_400), {
    doc: 'How long a triplet that passed stays accepted without delay (renewed by each message).',
    unit: 'seconds',
  }),
  max_connections_per_minute: key(intIn(0, 1_000_000).default(0), {
    doc: 'New SMTP connections per client IP per minute before 421 4.7.0 (trusted networks exempt; 0 = no limit, as Postfix\'s anvil by default; e.g. 60).',
  }),
  max_messages_per_minute: key(intIn(0, 1_000_000).default(0), {
    doc: 'Messages (MAIL FROM) per unauthenticated client IP per minute before 451 4.7.1 (trusted networks exempt; 0 = no limit; e.g. 120).',
  }),
  max_user_messages_per_hour: key(intIn(0, 1_000_000).default(500), {
    doc: 'Messages per authenticated user per hour before 451 4.7.1: limits the damage of a stolen password (0 = no limit).',
  }),
  max_user_recipients_per_hour: key(intIn(0, 1_000_000).default(2000), {
    doc: 'Recipients per authenticated user per hour before 452 4.5.3 (0 = no limit).',
  }),
  max_unknown_recipients: key(intIn(0, 10_000).default(10), {
    doc: 'Unknown recipients in one SMTP session before the client IP is banned for ban_time (a dictionary attack; 0 = never).',
  }),
  ban_time: key(intIn(60, 30 * 86_400).default(3600), {
    doc: 'How long a temporary IP ban lasts; banned clients get 421 4.7.0 at connect. List and lift bans with `pochta ban`.',
    unit: 'seconds',
  }),
  login_free_failures: key(intIn(0, 1000).default(2), {
    doc: 'Failed logins (IMAP, POP3, SMTP AUTH) from one IP or against one account answered without delay.',
  }),
  login_failure_delay: key(intIn(0, 60_000).default(1000), {
    doc: 'Delay before answering each further attempt, doubled per failure up to login_failure_delay_max.',
    unit: 'milliseconds',
  }),
  login_failure_delay_max: key(intIn(0, 300_000).default(15_000), {
    doc: 'Ceiling of the failed-login delay.',
    unit: 'milliseconds',
  }),
  login_ban_failures: key(intIn(1, 100_000).default(20), {
    doc: 'Failed logins from one IP within login_ban_window that ban it (kept in the store: `pochta ban list|rm`).',
  }),
  login_ban_window: key(intIn(1, 86_400).default(600), {
    doc: 'Window in which login_ban_failures failures ban an IP.',
    unit: 'seconds',
  }),
  login_ban_time: key(intIn(1, 30 * 86_400).default(900), {
    doc: 'How long an IP banned for failed logins is refused.',
    unit: 'seconds',
  }),
  spam_filter: key(oneOf(['off', 'spamd', 'rspamd']).default('off'), {
    doc: 'Content filter asked about each inbound message: off, spamd (SpamAssassin, spamc protocol) or rspamd (HTTP /checkv2).',
  }),
  spam_filter_address: key(hostPort().optional(), {
    doc: 'host:port of the filter; when not set, 127.0.0.1:783 for spamd and 127.0.0.1:11333 for rspamd.',
    example: '"127.0.0.1:783"',
  }),
  spam_filter_timeout: key(intIn(1, 600).default(30), {
    doc: 'How long the filter may take with one message before it counts as down.',
    unit: 'seconds',
  }),
  spam_filter_failure: key(oneOf(['accept', 'tempfail']).default('accept'), {
    doc: 'When the filter is down: accept the message unfiltered, or answer 451 4.7.1 so the sender retries (logged either way).',
  }),
  spam_reject_score: key(intIn(0, 10_000).default(0), {
    doc: 'Score at or above which a message is rejected at DATA with 550 5.7.1 (0: never; below it, spam goes to Junk).',
  }),
});

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const log = table({
  level: key(oneOf(LOG_LEVELS).default('info'), {
    doc: 'Least severe level written.',
  }),
  format: key(oneOf(['json', 'pretty']).default('json'), {
    doc: 'json: one JSON object per line; pretty: one readable line per event.',
  }),
});

// ---------------------------------------------------------------------------------------------------
// User directories (issue 8): which source answers for which domains

const directory = table({
  system_domains: key(arrayOf(hostname()).default([]), {
    doc: 'Domains whose users are the Unix accounts of this host (/etc/passwd, /etc/shadow): alice@<domain> is user alice.',
  }),
  system_min_uid: key(intIn(0).default(1000), { doc: 'Unix accounts with a lower UID (root, daemons) never log in or receive mail.' }),
  system_allow_groups: key(arrayOf(accountName()).default([]), {
    doc: 'When not empty, only members of one of these Unix groups are mail users.',
  }),
  system_deny_groups: key(arrayOf(accountName()).default([]), { doc: 'Members of these Unix groups are never mail users.' }),
  system_passwd_file: key(pathString().default('/etc/passwd'), { doc: 'The Unix account list.' }),
  system_shadow_file: key(pathString().default('/etc/shadow'), {
    doc: 'The Unix password hashes; the server user must be able to read it (e.g. be in group shadow).',
  }),
  system_group_file: key(pathString().default('/etc/group'), { doc: 'The Unix group list (for the allow and deny groups).' }),
  ldap_domains: key(arrayOf(hostname()).default([]), { doc: 'Domains whose users and groups live in the LDAP or Active Directory server.' }),
  ldap_preset: key(oneOf(['openldap', 'active-directory']).default('openldap'), {
    doc: 'Default filters and attributes: openldap (mail, mailAlternateAddress, groupOfNames) or active-directory (userPrincipalName, proxyAddresses, nested groups).',
  }),
  ldap_url: key(str().default(''), { doc: 'LDAP server URL, ldap://host:389 or ldaps://host:636 (required with ldap_domains).' }),
  ldap_starttls: key(bool().default(false), { doc: 'Upgrade an ldap:// connection with StartTLS before binding.' }),
  ldap_tls_ca: key(str().default(''), { doc: 'PEM file of the CA of the LDAP server certificate, relative to the config file\'s directory ("": the system CAs). A certificate it did not sign fails logins and lookups temporarily; there is no fallback to plain text.' }),
  ldap_tls_verify: key(bool().default(true), { doc: 'Verify the LDAP server certificate (ldaps and StartTLS).' }),
  ldap_bind_dn: key(str().default(''), { doc: 'DN the searches bind as ("" for an anonymous bind).' }),
  ldap_bind_password: key(str().default(''), { doc: 'Password of ldap_bind_dn.' }),
  ldap_base_dn: key(str().default(''), { doc: 'Subtree searched for users and groups.' }),
  ldap_user_filter: key(str().default(''), {
    doc: 'Filter finding a user by address; %s is the address, escaped (RFC 4515); "" takes the preset\'s.',
    defaultDoc: 'by preset; openldap: "(&(objectClass=inetOrgPerson)(|(mail=%s)(mailAlternateAddress=%s)))"',
  }),
  ldap_groups: key(bool().default(true), { doc: 'Deliver mail for a group address to the members of the group.' }),
  ldap_group_filter: key(str().default(''), {
    doc: 'Filter finding a mailing-list group by address, %s as in ldap_user_filter; "" takes the preset\'s.',
    defaultDoc: 'by preset; openldap: "(&(objectClass=groupOfNames)(mail=%s))"',
  }),
  ldap_mail_attribute: key(str().default(''), { doc: 'Attribute holding the primary address; "" takes the preset\'s.', defaultDoc: '"" (mail)' }),
  ldap_alias_attributes: key(arrayOf(str()).default([]), {
    doc: 'Attributes holding further addresses of a user (AD proxyAddresses values lose their smtp: prefix); [] takes the preset\'s.',
    defaultDoc: '[] (mailAlternateAddress, or proxyAddresses for active-directory)',
  }),
  ldap_member_attribute: key(str().default(''), { doc: 'Attribute of a group listing member DNs; "" takes the preset\'s.', defaultDoc: '"" (member)' }),
  ldap_password_check: key(oneOf(['bind', 'compare', 'hash']).default('bind'), {
    doc: 'How a password is checked: bind (a bind as the user), compare (an LDAP compare of ldap_password_attribute; OpenLDAP compares the stored value as is, so only passwords stored in clear match) or hash (ldap_bind_dn reads ldap_password_attribute and pochta verifies it, like Dovecot\'s auth_bind = no: {SSHA}, {SHA}, {SSHA256}, {SHA256}, {SSHA512}, {SHA512}, {CRYPT} ($6$, $5$, $2b$, $y$), {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT}, {ARGON2I}, {ARGON2ID} and, as in Dovecot, {PLAIN}/{CLEARTEXT}; any other scheme never matches and is logged, without the hash). compare needs compare access to the attribute, hash read access.',
  }),
  ldap_password_attribute: key(str().regex(/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/, { message: 'an LDAP attribute name (RFC 4512 §1.4 descr or OID)' }).default('userPassword'), {
    doc: 'Attribute holding the password for ldap_password_check = "compare" or "hash".',
  }),
  ldap_pool_size: key(intIn(1, 64).default(4), { doc: 'Connections kept bound as ldap_bind_dn for searches.' }),
  ldap_timeout: key(intIn(1, 300).default(5), { doc: 'Connect and operation timeout; past it logins and lookups fail temporarily.', unit: 'seconds' }),
  ldap_cache_ttl: key(intIn(0, 86_400).default(60), { doc: 'How long LDAP lookups (found or not) are remembered. Successful logins are cached separately for imap.auth_cache_ttl.', unit: 'seconds' }),
  ldap_max_group_members: key(intIn(1, 100_000).default(1000), {
    doc: 'A group with more members is refused (temporarily) instead of expanded.',
  }),
});

// ---------------------------------------------------------------------------------------------------
// The whole file

const sections = {
  server: key(server.prefault({}), { doc: 'This host and the process.' }),
  listeners: key(arrayOf(listenerSchema).default(() => defaultListeners(0)), {
    doc: 'Sockets to listen on, one [[listeners]] table each.',
  }),
  tls: key(tls.prefault({}), { doc: 'Certificate and TLS versions for STARTTLS and implicit TLS.' }),
  dns: key(dns.prefault({}), { doc: 'DNS resolution (MX, PTR, SPF, DKIM, DMARC, DNSBL).' }),
  smtp: key(smtp.prefault({}), { doc: 'SMTP, submission and LMTP sessions.' }),
  relay: key(relay.prefault({}), { doc: 'Who may relay mail to remote domains.' }),
  antispam: key(antispam.prefault({}), { doc: 'Inbound defence: SPF/DKIM/DMARC/ARC policy, DNS block- and allowlists, greylisting.' }),
  queue: key(queue.prefault({}), { doc: 'Outbound queue: retries, bounces, concurrency.' }),
  srs: key(srs.prefault({}), { doc: 'Sender Rewriting Scheme (SRS) for mail that aliases forward to remote addresses.' }),
  imap: key(imap.prefault({}), { doc: 'IMAP sessions.' }),
  pop3: key(pop3.prefault({}), { doc: 'POP3 sessions.' }),
  log: key(log.prefault({}), { doc: 'Logging (to stdout).' }),
  directory: key(directory.prefault({}), {
    doc: 'Where users come from: Unix accounts or LDAP for the domains listed here, the internal accounts (`pochta user`) for every other domain.',
  }),
};

const configObject = table(sections);
type ConfigInput = z.output<typeof configObject>;

/** Canonical form of a listener's socket, to find two listeners on the same one. */
function socketKey(l: Listener): string {
  if (l.address.startsWith('unix:')) return l.address;
  if (isIP(l.address) !== 6) return `${l.address}:${l.port}`;
  // Canonical IPv6 text, so that "::0" and "::" compare equal.
  return `[${new SocketAddress({ address: l.address, family: 'ipv6' }).address}]:${l.port}`;
}

function crossChecks(c: ConfigInput, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  c.listeners.forEach((l, i) => {
    const k = socketKey(l);
    const first = seen.get(k);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['listeners', i],
        message: `same address and port as listeners[${first}] (${k})`,
      });
    } else {
      seen.set(k, i);
    }
  });
  if (c.queue.retry_initial > c.queue.retry_max) {
    ctx.addIssue({
      code: 'custom',
      path: ['queue', 'retry_initial'],
      input: c.queue.retry_initial,
      message: `must not exceed queue.retry_max (${c.queue.retry_max})`,
    });
  }
  if ((c.queue.relay_user === undefined) !== (c.queue.relay_password === undefined)) {
    const missing = c.queue.relay_user === undefined ? 'relay_user' : 'relay_password';
    ctx.addIssue({
      code: 'custom',
      path: ['queue', missing],
      message: 'relay_user and relay_password go together: set both or neither',
    });
  }
  for (const d of c.directory.ldap_domains) {
    if (c.directory.system_domains.some((x) => x.toLowerCase() === d.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: ['directory', 'ldap_domains'], message: `${d} is also in system_domains: one source per domain` });
    }
  }
  if (c.directory.ldap_domains.length > 0 && c.directory.ldap_url === '') {
    ctx.addIssue({ code: 'custom', path: ['directory', 'ldap_url'], message: 'ldap_domains need ldap_url = "ldap://host:port"' });
  }
  if (c.directory.ldap_starttls && c.directory.ldap_url.toLowerCase().startsWith('ldaps:')) {
    ctx.addIssue({ code: 'custom', path: ['directory', 'ldap_starttls'], message: 'StartTLS is for ldap:// URLs; ldaps:// is already TLS' });
  }
  if (c.queue.relay_user !== undefined && c.queue.relay_host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['queue', 'relay_user'], message: 'needs queue.relay_host' });
  }
}

/** Fills the defaults that depend on other keys. */
function resolveDerived(c: ConfigInput) {
  return {
    ...c,
    server: { ...c.server, group: c.server.group ?? c.server.user },
    tls: {
      ...c.tls,
      cert: c.tls.cert ?? join(c.server.data_dir, 'tls', 'cert.pem'),
      key: c.tls.key ?? join(c.server.data_dir, 'tls', 'key.pem'),
    },
    smtp: { ...c.smtp, greeting: c.smtp.greeting ?? `${c.server.hostname} ESMTP pochta` },
    imap: { ...c.imap, max_literal_size: c.imap.max_literal_size ?? c.smtp.max_message_size },
    srs: {
      ...c.srs,
      domain: (c.srs.domain ?? c.server.hostname).toLowerCase(),
      secret_file: c.srs.secret_file ?? join(c.server.data_dir, 'srs.secret'),
    },
  };
}

/** The zod schema of a parsed TOML document; its output is a `Config` with relative paths unresolved. */
export const configSchema = configObject.superRefine(crossChecks).transform(resolveDerived);

/**
 * The whole configuration, keys in snake_case as in the file, every default filled in; after
 * parseConfig/loadConfig, paths are absolute.
 */
export type Config = z.output<typeof configSchema>;

// ---------------------------------------------------------------------------------------------------
// Introspection for the example file, the docs and error hints

/** One documented key. */
export interface ConfigKeyDoc {
  /** `server.hostname`, or `listeners[].port` for the keys of a [[listeners]] table. */
  path: string;
  key: string;
  /** Human type: `integer (seconds)`, `"json" | "pretty"`, `array of string`. */
  type: string;
  unit: KeyMeta['unit'];
  /** The default as a TOML value; undefined when computed (see defaultDoc) or absent. */
  defaultToml: string | undefined;
  /** The default for people: a TOML value, a description of the computed default, or "none"/"required". */
  defaultDoc: string;
  required: boolean;
  doc: string;
  /** Example TOML value for a key without a default. */
  example: string | undefined;
}

export interface ConfigSectionDoc {
  name: string;
  /** true for an array of tables ([[listeners]]). */
  array: boolean;
  doc: string;
  keys: ConfigKeyDoc[];
}

type Unwrapped = { inner: z.ZodType; defaultValue: unknown; hasDefault: boolean; optional: boolean };

function unwrap(schema: z.ZodType): Unwrapped {
  let s: z.ZodType = schema;
  let defaultValue: unknown;
  let hasDefault = false;
  let optional = false;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) {
      if (!hasDefault) defaultValue = s._zod.def.defaultValue;
      hasDefault = true;
      s = s._zod.def.innerType as z.ZodType;
    } else if (s instanceof z.ZodOptional) {
      optional = true;
      s = s._zod.def.innerType as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s._zod.def.in as z.ZodType;
    } else {
      return { inner: s, defaultValue, hasDefault, optional };
    }
  }
}

function typeName(schema: z.ZodType): string {
  const s = unwrap(schema).inner;
  if (s instanceof z.ZodEnum) return (s.options as string[]).map((o) => JSON.stringify(o)).join(' | ');
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodString) return 'string';
  if (s instanceof z.ZodNumber) return s.format === 'safeint' ? 'integer' : 'number';
  if (s instanceof z.ZodArray) return `array of ${typeName(s._zod.def.element as z.ZodType)}`;
  if (s instanceof z.ZodObject) return 'table';
  return 'value';
}

/** Renders a JS value as a TOML value (strings, integers with _ separators, booleans, arrays). */
export function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    return Number.isInteger(v) && Math.abs(v) >= 100_000 ? String(v).replace(/\B(?=(\d{3})+$)/g, '_') : String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  throw new Error(`no TOML rendering for ${typeof v}`);
}

function describeKeys(obj: z.ZodObject, prefix: string): ConfigKeyDoc[] {
  return Object.entries(obj.shape).map(([k, schema]) => {
    const meta = keyDocs.get(schema);
    if (!meta) throw new Error(`config key ${prefix}${k} has no doc line`);
    const u = unwrap(schema);
    const unit = meta.unit ? ` (${meta.unit})` : '';
    const required = !u.hasDefault && !u.optional;
    const defaultToml = u.hasDefault && meta.defaultDoc === undefined ? tomlValue(u.defaultValue) : undefined;
    return {
      path: `${prefix}${k}`,
      key: k,
      type: typeName(schema) + unit,
      unit: meta.unit,
      defaultToml,
      defaultDoc: meta.defaultDoc ?? defaultToml ?? (required ? 'required' : 'none'),
      required,
      doc: meta.doc,
      example: meta.example,
    };
  });
}

/** Every section and key of the schema, in file order, with its type, default and doc. */
export function describeConfig(): ConfigSectionDoc[] {
  return Object.entries(configObject.shape).map(([name, schema]) => {
    const meta = keyDocs.get(schema);
    if (!meta) throw new Error(`config section ${name} has no doc line`);
    const inner = unwrap(schema).inner;
    if (inner instanceof z.ZodArray) {
      const el = unwrap(inner._zod.def.element as z.ZodType).inner as z.ZodObject;
      return { name, array: true, doc: meta.doc, keys: describeKeys(el, `${name}[].`) };
    }
    return { name, array: false, doc: meta.doc, keys: describeKeys(inner as z.ZodObject, `${name}.`) };
  });
}
