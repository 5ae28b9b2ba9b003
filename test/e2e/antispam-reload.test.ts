/**
 * SIGHUP reloads the antispam settings of a running `pochta serve` (issue 7, DESIGN.md "Configuration"):
 * greylisting switched on in the file then SIGHUP greylists the next new triplet, switched off again accepts;
 * a DNSBL zone added then SIGHUP refuses a listed client, removed again lets it in. The fake DNS lists
 * 127.0.0.2 in bl.test; clients connect from 127.0.0.2 (nothing on loopback is trusted here).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hashPassword } from '../../src/directory/passwords.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { spawnPochta, waitForOutput } from '../helpers/cli.js';
import { startFakeDns, type FakeDns } from '../helpers/fake-dns.js';
import { freePort } from '../helpers/free-port.js';
import { RawClient } from '../protocol/smtp/raw-client.js';

let dir: string;
let dns: FakeDns;
let child: ChildProcess | null = null;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-reload-'));
  dns = await startFakeDns();
  dns.add('2.0.0.127.bl.test', 'A', '127.0.0.2');
  const store = await openSqliteStore({ dir });
  await store.addDomain({ name: 'example.test' });
  await store.createAccount({ address: 'ivanov@example.test', passwordHash: await hashPassword('pw-reload-12345'), quotaBytes: 0, enabled: true });
  await store.close();
});

after(async () => {
  child?.kill('SIGKILL');
  await dns.close();
  await rm(dir, { recursive: true, force: true });
});

/** Greeting, EHLO, MAIL, RCPT from 127.0.0.2: the first reply that is not 2xx, or 'accepted'. */
async function tryRcpt(port: number, sender: string): Promise<string> {
  const c = await RawClient.connect(port, { localAddress: '127.0.0.2' });
  try {
    const greeting = await c.reply(5000);
    if (greeting.code !== 220) return greeting.text;
    for (const line of ['EHLO client.remote.test', `MAIL FROM:<${sender}>`, 'RCPT TO:<ivanov@example.test>']) {
      const r = await c.cmd(line);
      if (r.code >= 300) return r.text;
    }
    await c.cmd('QUIT').catch(() => undefined);
    return 'accepted';
  } finally {
    c.close();
  }
}

test('greylisting and DNSBL zones follow the config file on SIGHUP, without a restart', async () => {
  const port = await freePort();
  const cfg = join(dir, 'pochta.toml');
  const write = (antispam: string): Promise<void> =>
    writeFile(
      cfg,
      `[server]\nhostname = "mx.example.test"\ndata_dir = "."\nuser = ""\n\n` +
        `[dns]\nservers = ["${dns.server}"]\ntimeout_ms = 1000\ntries = 1\n\n` +
        `[relay]\ntrusted_networks = ["192.0.2.0/24"]\n\n` +
        `[antispam]\nauthentication = false\n${antispam}\n\n` +
        `[[listeners]]\nprotocol = "smtp"\naddress = "127.0.0.1"\nport = ${port}\ntls = "none"\n`,
    );
  const hup = async (): Promise<void> => {
    const reloaded = waitForOutput(child!, /configuration reloaded|reload failed/);
    child!.kill('SIGHUP');
    assert.match(await reloaded, /configuration reloaded/);
  };

  await write('greylisting = false');
  child = spawnPochta(['serve', '--config', cfg]);
  await waitForOutput(child, /pochta started/);
  assert.equal(await tryRcpt(port, 'a@remote.test'), 'accepted');

  await write('greylisting = true\ngreylist_delay = 300');
  await hup();
  assert.match(await tryRcpt(port, 'b@remote.test'), /^451 4\.7\.1 /);

  await write('greylisting = false');
  await hup();
  assert.equal(await tryRcpt(port, 'c@remote.test'), 'accepted');

  await write('dnsbl_zones = ["bl.test"]\ndnsbl_action = "reject"');
  await hup();
  assert.match(await tryRcpt(port, 'd@remote.test'), /^554 5\.7\.1 .*bl\.test/);

  await write('dnsbl_zones = []');
  await hup();
  assert.equal(await tryRcpt(port, 'e@remote.test'), 'accepted');

  child.kill('SIGTERM');
});
