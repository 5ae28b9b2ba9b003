/**
 * `pochta dns DOMAIN` prints the records to publish (DKIM from the key in the data dir); `pochta dns check`
 * compares them with what DNS serves: here the fake DNS, filled with some right, one wrong and some absent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPochta } from '../helpers/cli.js';
import { startFakeDns, type FakeDns } from '../helpers/fake-dns.js';

let dir: string;
let dns: FakeDns;
let cfg: string;
const pochta = (...args: string[]) => runPochta(['--config', cfg, ...args]);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-dns-'));
  dns = await startFakeDns();
  cfg = join(dir, 'pochta.toml');
  await writeFile(cfg, `[server]\nhostname = "mx.example.org"\ndata_dir = "."\nuser = ""\n[dns]\nservers = ["${dns.server}"]\ntimeout_ms = 1000\ntries = 1\n`);
  assert.equal((await pochta('domain', 'add', 'example.org')).code, 0);
  assert.equal((await pochta('dkim', 'generate', 'example.org', '--selector', 's1')).code, 0);
});
after(async () => {
  await dns.close();
  await rm(dir, { recursive: true, force: true });
});

test('dns prints MX, SPF, the DKIM key of the data dir, DMARC, MTA-STS and SRV records as zone lines', async () => {
  const r = await pochta('dns', 'example.org');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^example\.org\. IN MX 10 mx\.example\.org\.$/m);
  assert.match(r.stdout, /^example\.org\. IN TXT "v=spf1 mx -all"$/m);
  assert.match(r.stdout, /^s1\._domainkey\.example\.org\. IN TXT "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+" "[A-Za-z0-9+/=]+"$/m, 'a 2048-bit key split into 255-octet strings');
  assert.match(r.stdout, /^_dmarc\.example\.org\. IN TXT "v=DMARC1; /m);
  assert.match(r.stdout, /^_mta-sts\.example\.org\. IN TXT "v=STSv1; id=1"$/m);
  assert.match(r.stdout, /^_submissions\._tcp\.example\.org\. IN SRV 0 1 465 mx\.example\.org\.$/m);
  // SRS is on by default with the hostname as its domain: forwarded mail's sender and the HELO name need SPF.
  assert.match(r.stdout, /^mx\.example\.org\. IN TXT "v=spf1 a mx -all"$/m);
});

test('dns prints an SPF record for a separate SRS domain, and none for the SRS domain when SRS is off', async () => {
  const cfg2 = join(dir, 'srs.toml');
  const base = `[server]\nhostname = "mx.example.org"\ndata_dir = "."\nuser = ""\n[dns]\nservers = ["${dns.server}"]\n`;
  await writeFile(cfg2, `${base}[srs]\ndomain = "srs.example.net"\n`);
  const on = await runPochta(['--config', cfg2, 'dns', 'example.org']);
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stdout, /^srs\.example\.net\. IN TXT "v=spf1 a mx -all"$/m);
  assert.match(on.stdout, /^mx\.example\.org\. IN TXT "v=spf1 a mx -all"$/m, 'the HELO name still needs one');
  await writeFile(cfg2, `${base}[srs]\nenabled = false\ndomain = "srs.example.net"\n`);
  const off = await runPochta(['--config', cfg2, 'dns', 'example.org']);
  assert.equal(off.code, 0, off.stderr);
  assert.doesNotMatch(off.stdout, /srs\.example\.net/);
});

test('dns check reports each record as ok, different or missing, and exits non-zero unless all are ok', async () => {
  const expected = JSON.parse((await pochta('--json', 'dns', 'example.org')).stdout) as Array<{ name: string; type: string; value: string }>;
  const dkim = expected.find((r) => r.name === 's1._domainkey.example.org')!;
  dns.add('example.org', 'MX', { exchange: 'mx.example.org', priority: 10 });
  dns.add('example.org', 'TXT', 'v=spf1 a -all'); // not what pochta asks for
  dns.add('s1._domainkey.example.org', 'TXT', dkim.value);
  dns.add('_dmarc.example.org', 'TXT', 'v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org');
  const r = await pochta('--json', 'dns', 'check', 'example.org');
  assert.equal(r.code, 1, 'some records are missing');
  const rows = JSON.parse(r.stdout) as Array<{ name: string; type: string; status: string }>;
  const status = (name: string, type: string) => rows.find((x) => x.name === name && x.type === type)?.status;
  assert.equal(status('example.org', 'MX'), 'ok');
  assert.equal(status('example.org', 'TXT'), 'different');
  assert.equal(status('s1._domainkey.example.org', 'TXT'), 'ok');
  assert.equal(status('_dmarc.example.org', 'TXT'), 'ok');
  assert.equal(status('_mta-sts.example.org', 'TXT'), 'missing');
  assert.equal(status('autoconfig.example.org', 'CNAME'), 'missing');
});
