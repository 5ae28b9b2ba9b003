// parseConfig/loadConfig: defaults, one-line errors naming file, key and reason, TOML syntax locations,
// relative path resolution, IPv6 CIDR and cross-key checks.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../../src/lib/errors.js';
import { defaultConfig, defaultListeners, loadConfig, parseConfig } from '../../../src/config/index.js';

const FILE = '/etc/pochta/pochta.toml';

/** The UserError message parseConfig throws for `text`. */
function errorOf(text: string, file = 'pochta.toml'): string {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    return e.message;
  }
  assert.fail('parseConfig accepted the text');
}

describe('defaults', () => {
  test('an empty file gives production defaults', () => {
    const c = parseConfig('', FILE);
    assert.equal(c.server.hostname, hostname());
    assert.equal(c.server.data_dir, '/etc/pochta/data');
    assert.equal(c.server.user, 'pochta');
    assert.equal(c.server.group, 'pochta');
    assert.equal(c.server.shutdown_timeout, 30);
    assert.deepEqual(c.listeners, defaultListeners(0));
    assert.equal(c.tls.cert, '/etc/pochta/data/tls/cert.pem');
    assert.equal(c.tls.key, '/etc/pochta/data/tls/key.pem');
    assert.equal(c.tls.min_version, 'TLSv1.2');
    assert.deepEqual(c.dns, { servers: [], timeout_ms: 5000, tries: 2 });
    assert.equal(c.smtp.greeting, `${hostname()} ESMTP pochta`);
    assert.equal(c.smtp.max_message_size, 52_428_800);
    assert.equal(c.smtp.max_recipients, 1000);
    assert.ok(c.smtp.max_line_length >= 1000);
    assert.equal(c.smtp.plus_separator, '+');
    assert.equal(c.smtp.over_quota, 'temporary');
    assert.deepEqual(c.relay.trusted_networks, ['127.0.0.0/8', '::1/128']);
    assert.equal(c.queue.retry_initial, 300);
    assert.equal(c.queue.retry_max, 14_400);
    assert.equal(c.queue.max_lifetime, 5 * 86_400);
    assert.equal(c.queue.remote_port, 25);
    assert.equal(c.queue.relay_host, undefined);
    assert.equal(c.imap.max_literal_size, c.smtp.max_message_size);
    assert.equal(c.pop3.idle_timeout, 600);
    assert.deepEqual(c.log, { level: 'info', format: 'json' });
  });

  test('default listeners cover smtp, submission, imap and pop3 with STARTTLS and implicit TLS', () => {
    const ports = defaultListeners(0).map((l) => `${l.protocol}:${l.port}:${l.tls}`);
    assert.deepEqual(ports, [
      'smtp:25:starttls',
      'submission:587:starttls',
      'submission:465:implicit',
      'imap:143:starttls',
      'imap:993:implicit',
      'pop3:110:starttls',
      'pop3:995:implicit',
    ]);
    assert.deepEqual(
      defaultListeners(10000).map((l) => l.port),
      [10025, 10587, 10465, 10143, 10993, 10110, 10995],
    );
  });

  test('computed defaults follow the keys they derive from', () => {
    const c = parseConfig(
      '[server]\nhostname = "mx.example.org"\ndata_dir = "/var/lib/pochta"\nuser = "mail"\n[smtp]\nmax_message_size = 10_485_760\n',
      FILE,
    );
    assert.equal(c.server.group, 'mail');
    assert.equal(c.tls.cert, '/var/lib/pochta/tls/cert.pem');
    assert.equal(c.smtp.greeting, 'mx.example.org ESMTP pochta');
    assert.equal(c.imap.max_literal_size, 10_485_760);
  });

  test('a listener without port or tls gets the protocol defaults', () => {
    const c = parseConfig(
      [
        '[[listeners]]\nprotocol = "submission"\ntls = "implicit"',
        '[[listeners]]\nprotocol = "imap"',
        '[[listeners]]\nprotocol = "lmtp"\naddress = "127.0.0.1"',
      ].join('\n'),
      FILE,
    );
    assert.deepEqual(
      c.listeners.map((l) => [l.protocol, l.address, l.port, l.tls]),
      [
        ['submission', '::', 465, 'implicit'],
        ['imap', '::', 143, 'starttls'],
        ['lmtp', '127.0.0.1', 24, 'none'],
      ],
    );
  });

  test('defaultConfig equals the parse of an empty file', () => {
    assert.deepEqual(defaultConfig({ baseDir: '/etc/pochta' }), parseConfig('', FILE));
    assert.equal(defaultConfig({ portOffset: 10000 }).listeners[0]!.port, 10025);
  });
});

describe('relative paths', () => {
  test('data_dir, cert, key and unix sockets resolve against the config file directory', () => {
    const c = parseConfig(
      [
        '[server]\ndata_dir = "var/mail"',
        '[tls]\ncert = "../certs/mx.pem"\nkey = "/abs/key.pem"',
        '[[listeners]]\nprotocol = "lmtp"\naddress = "unix:run/lmtp.sock"',
      ].join('\n'),
      '/srv/pochta/etc/pochta.toml',
    );
    assert.equal(c.server.data_dir, '/srv/pochta/etc/var/mail');
    assert.equal(c.tls.cert, '/srv/pochta/certs/mx.pem');
    assert.equal(c.tls.key, '/abs/key.pem');
    assert.equal(c.listeners[0]!.address, 'unix:/srv/pochta/etc/run/lmtp.sock');
    assert.equal(c.listeners[0]!.port, 0);
  });

  test('the default cert lives under a relative data_dir, resolved against the file directory', () => {
    const c = parseConfig('[server]\ndata_dir = "d"', '/srv/p/pochta.toml');
    assert.equal(c.tls.cert, '/srv/p/d/tls/cert.pem');
  });
});

describe('errors name the file, the key path and the reason on one line', () => {
  const cases: [string, string, string][] = [
    ['port out of range', '[[listeners]]\nprotocol = "smtp"\n[[listeners]]\nprotocol = "imap"\n[[listeners]]\nprotocol = "pop3"\nport = 70000',
      'pochta.toml: listeners[2].port: must be an integer 1-65535 (got 70000)'],
    ['wrong type', '[smtp]\nmax_recipients = "many"', 'pochta.toml: smtp.max_recipients: must be an integer 100-1000000 (got "many")'],
    ['fractional integer', '[server]\nshutdown_timeout = 1.5', 'pochta.toml: server.shutdown_timeout: must be an integer 1-3600 (got 1.5)'],
    ['unknown key with a suggestion', '[server]\nhostnme = "x"', 'pochta.toml: server.hostnme: unknown key (did you mean "hostname"?)'],
    ['unknown key deep in a listener', '[[listeners]]\nprotocol = "smtp"\nstarttls = true', 'pochta.toml: listeners[0].starttls: unknown key'],
    ['unknown section', '[webmail]\nx = 1', 'pochta.toml: webmail: unknown key'],
    ['domains are not configuration', '[[domains]]\nname = "example.org"',
      'pochta.toml: domains: unknown key (domains live in the database: use `pochta domain add`)'],
    ['a section that is not a table', 'smtp = 5', 'pochta.toml: smtp: must be a table (got 5)'],
    ['missing required key', '[[listeners]]\nport = 25',
      'pochta.toml: listeners[0].protocol: missing (must be one of "smtp", "submission", "lmtp", "imap", "pop3")'],
    ['bad enum', '[log]\nlevel = "verbose"', 'pochta.toml: log.level: must be one of "trace", "debug", "info", "warn", "error", "fatal" (got "verbose")'],
    ['TLS older than 1.2', '[tls]\nmin_version = "TLSv1.1"', 'pochta.toml: tls.min_version: must be one of "TLSv1.2", "TLSv1.3" (got "TLSv1.1")'],
    ['duplicate listener address:port', '[[listeners]]\nprotocol = "smtp"\naddress = "::"\n[[listeners]]\nprotocol = "submission"\naddress = "::0"\nport = 25',
      'pochta.toml: listeners[1]: same address and port as listeners[0] ([::]:25)'],
    ['implicit TLS on a unix socket', '[[listeners]]\nprotocol = "lmtp"\naddress = "unix:/run/lmtp.sock"\ntls = "implicit"',
      'pochta.toml: listeners[0].tls: implicit TLS is impossible on a unix socket; use "none" or "starttls" (got "implicit")'],
    ['unix socket for imap', '[[listeners]]\nprotocol = "imap"\naddress = "unix:/run/imap.sock"',
      'pochta.toml: listeners[0].address: unix sockets are only for lmtp listeners (got "unix:/run/imap.sock")'],
    ['ptr_check on a non-smtp listener', '[[listeners]]\nprotocol = "submission"\nptr_check = "match"',
      'pochta.toml: listeners[0].ptr_check: applies only to smtp listeners (got "match")'],
    ['bad listen address', '[[listeners]]\nprotocol = "smtp"\naddress = "localhost"',
      'pochta.toml: listeners[0].address: must be an IP address like "::" or "127.0.0.1", or "unix:/path/to/socket" (got "localhost")'],
    ['retry_initial above retry_max', '[queue]\nretry_initial = 20000',
      'pochta.toml: queue.retry_initial: must not exceed queue.retry_max (14400) (got 20000)'],
    ['bad IPv4 CIDR', '[relay]\ntrusted_networks = ["10.0.0.0/8", "10.0.0.0/33"]',
      'pochta.toml: relay.trusted_networks[1]: must be a CIDR block like "192.0.2.0/24" or "2001:db8::/32" (got "10.0.0.0/33")'],
    ['bad IPv6 CIDR', '[relay]\ntrusted_networks = ["2001:db8::/129"]',
      'pochta.toml: relay.trusted_networks[0]: must be a CIDR block like "192.0.2.0/24" or "2001:db8::/32" (got "2001:db8::/129")'],
    ['relay_user without a password', '[queue]\nrelay_host = "smtp.example.net:587"\nrelay_user = "me"',
      'pochta.toml: queue.relay_password: relay_user and relay_password go together: set both or neither'],
    ['DNS server with a bad port', '[dns]\nservers = ["192.0.2.53:99999"]',
      'pochta.toml: dns.servers[0]: must be an IP address with an optional port, like "192.0.2.53" or "[2001:db8::53]:53" (got "192.0.2.53:99999")'],
    ['too few recipients for RFC 5321', '[smtp]\nmax_recipients = 10', 'pochta.toml: smtp.max_recipients: must be an integer 100-1000000 (got 10)'],
    ['line length below RFC 5321', '[smtp]\nmax_line_length = 998', 'pochta.toml: smtp.max_line_length: must be an integer 1000-1048576 (got 998)'],
    ['a TOML date where a path belongs', '[server]\ndata_dir = 1979-05-27', 'pochta.toml: server.data_dir: must be a string (got 1979-05-27)'],
  ];
  for (const [name, text, message] of cases) {
    test(name, () => assert.equal(errorOf(text), message));
  }

  test('TOML syntax errors give the file, line and column', () => {
    assert.equal(errorOf('[server]\nuser = "pochta"\nhostname = = "x"\n'), 'pochta.toml:3:12: TOML syntax error: invalid value');
  });

  test('an integer too large for TOML is a syntax error with its location', () => {
    assert.match(errorOf('[smtp]\nmax_message_size = 99999999999999999999\n'), /^pochta\.toml:2:20: TOML syntax error: /);
  });

  test('the file name is the one given', () => {
    assert.match(errorOf('[x]', '/etc/pochta/pochta.toml'), /^\/etc\/pochta\/pochta\.toml: x: unknown key/);
  });
});

describe('accepted values', () => {
  test('IPv6 CIDRs and bare addresses are trusted networks', () => {
    const c = parseConfig('[relay]\ntrusted_networks = ["2001:db8::/32", "fd00::/8", "192.0.2.7", "::1"]', FILE);
    assert.deepEqual(c.relay.trusted_networks, ['2001:db8::/32', 'fd00::/8', '192.0.2.7', '::1']);
  });

  test('TOML integers with separators and IPv6 DNS servers with ports', () => {
    const c = parseConfig('[smtp]\nmax_message_size = 104_857_600\n[dns]\nservers = ["192.0.2.53", "[2001:db8::53]:5353", "127.0.0.1:5300"]', FILE);
    assert.equal(c.smtp.max_message_size, 104_857_600);
    assert.deepEqual(c.dns.servers, ['192.0.2.53', '[2001:db8::53]:5353', '127.0.0.1:5300']);
  });

  test('the same port on two addresses is fine, and lmtp may use STARTTLS', () => {
    const c = parseConfig(
      '[[listeners]]\nprotocol = "smtp"\naddress = "127.0.0.1"\n[[listeners]]\nprotocol = "smtp"\naddress = "::1"\n' +
        '[[listeners]]\nprotocol = "lmtp"\naddress = "unix:/run/l.sock"\ntls = "starttls"',
      FILE,
    );
    assert.equal(c.listeners.length, 3);
  });

  test('an empty plus_separator disables address extensions', () => {
    assert.equal(parseConfig('[smtp]\nplus_separator = ""', FILE).smtp.plus_separator, '');
  });
});

describe('loadConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pochta-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads the file and resolves paths against its directory', async () => {
    const file = join(dir, 'pochta.toml');
    await writeFile(file, '[server]\nhostname = "mx.test"\n');
    const c = await loadConfig(file);
    assert.equal(c.server.hostname, 'mx.test');
    assert.equal(c.server.data_dir, join(dir, 'data'));
  });

  test('a missing file is a UserError that suggests pochta init', async () => {
    const file = join(dir, 'absent.toml');
    await assert.rejects(loadConfig(file), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, `${file}: no such config file; create one with \`pochta init\` or pass --config <file>`);
      return true;
    });
  });
});
