// End-to-end: Python's poplib against the in-process server: POP3 with STLS and POP3_SSL, both with the test
// CA pinned; STAT/LIST/UIDL/RETR/TOP; DELE then QUIT removes; UIDL stable across sessions; AUTH via SASL PLAIN.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { deliverBySmtp } from '../helpers/smtp-deliver.js';
import { poplib, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';

const PW = 'pw-poplib-1';
const MESSAGES = [
  'From: alice@example.net\r\nSubject: one\r\n\r\nfirst body\r\n.dotted line\r\n',
  'From: alice@example.net\nSubject: two\n\nsecond body with bare LF\n',
];

const SCRIPT = String.raw`
import json, poplib, ssl, sys
a = json.loads(sys.argv[1])
ctx = ssl.create_default_context(cafile=a['ca'])
ctx.check_hostname = True
if a['mode'] == 'ssl':
    p = poplib.POP3_SSL('127.0.0.1', a['port'], context=ctx, timeout=10)
else:
    p = poplib.POP3('127.0.0.1', a['port'], timeout=10)
    p.stls(context=ctx)
out = {'capa': sorted(p.capa().keys())}
if a.get('sasl'):
    out['auth'] = p._shortcmd('AUTH PLAIN ' + __import__('base64').b64encode(('\0' + a['user'] + '\0' + a['password']).encode()).decode()).decode()
else:
    p.user(a['user'])
    out['auth'] = p.pass_(a['password']).decode()
out['stat'] = list(p.stat())
out['list'] = [l.decode() for l in p.list()[1]]
out['uidl'] = [l.decode() for l in p.uidl()[1]]
msgs = []
for i in range(1, out['stat'][0] + 1):
    resp, lines, octets = p.retr(i)
    msgs.append({'lines': [l.decode('latin1') for l in lines], 'octets': octets})
out['retr'] = msgs
if out['stat'][0] > 0:
    out['top'] = [l.decode('latin1') for l in p.top(1, 0)[1]]
for n in a.get('dele', []):
    p.dele(n)
out['quit'] = p.quit().decode()
print(json.dumps(out))
`;

let srv: TestServer;
let tmp: TempDir;
let ca: string;

before(async () => {
  srv = await startServer({ listeners: [{ protocol: 'pop3', tls: 'starttls' }, { protocol: 'pop3', tls: 'implicit' }, { protocol: 'smtp', tls: 'none' }], users: [{ address: 'bob@example.org', password: PW }] });
  tmp = await tempDir();
  // The test certificate names mx.test and 127.0.0.1; poplib checks the IP SAN.
  ca = await tmp.write('ca.pem', srv.ca);
  await deliverBySmtp(srv, 'bob@example.org', MESSAGES);
});

after(async () => {
  await srv.close();
  await tmp.cleanup();
});

test('poplib over STLS lists and retrieves with CRLF lines and un-stuffed dots', async () => {
  const r = await poplib(SCRIPT, { mode: 'stls', port: srv.port('pop3', 0), ca, user: 'bob@example.org', password: PW });
  assert.match(String(r['auth']), /^\+OK/);
  assert.ok((r['capa'] as string[]).includes('UIDL'));
  const stat = r['stat'] as [number, number];
  assert.equal(stat[0], 2);
  const list = r['list'] as string[];
  const retr = r['retr'] as Array<{ lines: string[]; octets: number }>;
  // poplib's octets counts the lines plus CRLF each, as received: it must equal LIST's size.
  list.forEach((l, i) => assert.equal(Number(l.split(' ')[1]), retr[i]!.octets));
  assert.equal(stat[1], retr[0]!.octets + retr[1]!.octets);
  assert.ok(retr[0]!.lines.includes('.dotted line'));
  assert.deepEqual(retr[1]!.lines.slice(-4), ['From: alice@example.net', 'Subject: two', '', 'second body with bare LF']);
  assert.deepEqual((r['top'] as string[]).slice(-2), ['Subject: one', '']);
});

test('poplib over implicit TLS with SASL PLAIN; DELE at QUIT removes; UIDL stays stable', async () => {
  const first = await poplib(SCRIPT, { mode: 'ssl', port: srv.port('pop3', 1), ca, user: 'bob@example.org', password: PW, sasl: true, dele: [1] });
  assert.match(String(first['auth']), /^\+OK/);
  const uidlBefore = first['uidl'] as string[];
  const second = await poplib(SCRIPT, { mode: 'ssl', port: srv.port('pop3', 1), ca, user: 'bob@example.org', password: PW });
  assert.equal((second['stat'] as number[])[0], 1);
  assert.equal((second['uidl'] as string[])[0]!.split(' ')[1], uidlBefore[1]!.split(' ')[1]);
});
