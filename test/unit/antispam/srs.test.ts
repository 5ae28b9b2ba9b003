import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSrsLocalPart, Srs, srsHash, srsTimestamp, srsTimestampValid } from '../../../src/antispam/srs.js';
import { loadOrCreateSrsSecrets } from '../../../src/antispam/srs-secret.js';

// Vectors of postsrsd's own black-box tests (secret "tops3cr3t", domain example.com, 2020-01-01 00:01 UTC).
const AT = Date.UTC(2020, 0, 1, 0, 1, 0);
const DAY = 86_400_000;
const postsrsd = (now = AT): Srs => new Srs({ secrets: ['tops3cr3t'], domain: 'example.com', maxAgeDays: 21, now: () => now });

describe('SRS (libsrs2/postsrsd format)', () => {
  it('computes the hash as HMAC-SHA1 over the lower-cased fields, base64, 4 characters', () => {
    assert.equal(srsHash('tops3cr3t', ['2W', 'otherdomain.com', 'test']), 'vmyz');
    assert.equal(srsHash('tops3cr3t', ['2w', 'OTHERDOMAIN.com', 'TEST']), 'vmyz');
  });

  it('stamps days since the epoch mod 1024 in base32', () => {
    assert.equal(srsTimestamp(AT), '2W'); // day 18262 % 1024 = 854 = 26*32 + 22
    assert.equal(srsTimestamp(0), 'AA');
    assert.equal(srsTimestamp(1023 * DAY), '77');
    assert.equal(srsTimestamp(1024 * DAY), 'AA');
  });

  it('rewrites an ordinary sender to SRS0 exactly as postsrsd does', () => {
    assert.equal(postsrsd().forward('test@otherdomain.com'), 'SRS0=vmyz=2W=otherdomain.com=test@example.com');
  });

  it('turns another host\'s SRS0 into SRS1 and re-signs an SRS1 as postsrsd does', () => {
    assert.equal(postsrsd().forward('SRS0=opaque+string@otherdomain.com'), 'SRS1=chaI=otherdomain.com==opaque+string@example.com');
    assert.equal(
      postsrsd().forward('SRS1=X=thirddomain.com==opaque+string@otherdomain.com'),
      'SRS1=JIBX=thirddomain.com==opaque+string@example.com',
    );
  });

  it('reverses postsrsd addresses: SRS0 to the sender, SRS1 to the first hop', () => {
    assert.deepEqual(postsrsd().reverse('SRS0=XjO9=2V=otherdomain.com=test@example.com'), { kind: 'ok', address: 'test@otherdomain.com' });
    assert.deepEqual(postsrsd().reverse('SRS1=JIBX=thirddomain.com==opaque+string@example.com'), {
      kind: 'ok',
      address: 'SRS0=opaque+string@thirddomain.com',
    });
  });

  it('verifies case-insensitively, as postsrsd does', () => {
    assert.deepEqual(postsrsd().reverse('srs0=xjo9=2v=otherdomain.com=test@example.com'), { kind: 'ok', address: 'test@otherdomain.com' });
    assert.deepEqual(postsrsd().reverse('SRS0=XJO9=2V=OTHERDOMAIN.COM=TEST@EXAMPLE.COM'), { kind: 'ok', address: 'TEST@OTHERDOMAIN.COM' });
  });

  it('round-trips local parts with separators, plus signs and quotes', () => {
    const srs = new Srs({ secrets: ['s3cret'], domain: 'Fwd.Example.ORG', maxAgeDays: 21, now: () => AT });
    for (const sender of ['a=b@x.test', 'first.last+tag@sub.x.test', 'srs0like@x.test', 'u@xn--e1afmkfd.xn--p1ai']) {
      const rewritten = srs.forward(sender);
      assert.match(rewritten, /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=/);
      assert.ok(rewritten.endsWith('@fwd.example.org'));
      assert.deepEqual(srs.reverse(rewritten), { kind: 'ok', address: sender });
    }
  });

  it('refuses a tampered hash, local part or domain', () => {
    const srs = postsrsd();
    const good = srs.forward('test@otherdomain.com');
    assert.deepEqual(srs.reverse(good.replace('vmyz', 'vmyy')), { kind: 'invalid', reason: 'hash' });
    assert.deepEqual(srs.reverse(good.replace('=test@', '=admin@')), { kind: 'invalid', reason: 'hash' });
    assert.deepEqual(srs.reverse(good.replace('otherdomain', 'evil')), { kind: 'invalid', reason: 'hash' });
    assert.deepEqual(srs.reverse('SRS1=XXXX=thirddomain.com==opaque+string@example.com'), { kind: 'invalid', reason: 'hash' });
    const other = new Srs({ secrets: ['another secret'], domain: 'example.com', maxAgeDays: 21, now: () => AT });
    assert.deepEqual(other.reverse(good), { kind: 'invalid', reason: 'hash' });
  });

  it('expires addresses older than max age and refuses stamps from the future', () => {
    const made = postsrsd(AT).forward('test@otherdomain.com');
    assert.equal(postsrsd(AT + 21 * DAY).reverse(made).kind, 'ok');
    assert.deepEqual(postsrsd(AT + 22 * DAY).reverse(made), { kind: 'invalid', reason: 'expired' });
    assert.deepEqual(postsrsd(AT - 2 * DAY).reverse(made), { kind: 'invalid', reason: 'expired' });
    // postsrsd's vectors: a valid hash 6 months old, and one 6 months ahead.
    assert.equal(postsrsd().reverse('SRS0=te87=T7=otherdomain.com=test@example.com').kind, 'invalid');
    assert.equal(postsrsd().reverse('SRS0=VcIb=7N=otherdomain.com=test@example.com').kind, 'invalid');
    assert.equal(srsTimestampValid('2W', AT + 1023 * DAY, 1023), true);
    assert.equal(srsTimestampValid('2!', AT, 21), false);
  });

  it('verifies with every secret and signs with the first (key rotation)', () => {
    const old = postsrsd().forward('test@otherdomain.com');
    const rotated = new Srs({ secrets: ['new secret', 'tops3cr3t'], domain: 'example.com', maxAgeDays: 21, now: () => AT });
    assert.equal(rotated.reverse(old).kind, 'ok');
    assert.notEqual(rotated.forward('test@otherdomain.com'), old);
  });

  it('answers not-srs for other domains, ordinary local parts and malformed tags', () => {
    const srs = postsrsd();
    assert.deepEqual(srs.reverse('SRS0=XjO9=2V=otherdomain.com=test@elsewhere.test'), { kind: 'not-srs' });
    assert.deepEqual(srs.reverse('postmaster@example.com'), { kind: 'not-srs' });
    assert.deepEqual(srs.reverse('SRS0@example.com'), { kind: 'not-srs' });
    assert.deepEqual(srs.reverse('SRS0=abc@example.com'), { kind: 'invalid', reason: 'syntax' });
    assert.deepEqual(srs.reverse('SRS0=XjO9=2V=otherdomain.com=@example.com'), { kind: 'invalid', reason: 'syntax' });
    assert.deepEqual(srs.reverse('SRS1=abc@example.com'), { kind: 'invalid', reason: 'syntax' });
    assert.equal(isSrsLocalPart('srs0+abc'), true);
    assert.equal(isSrsLocalPart('srs2=abc'), false);
    assert.equal(srs.forward(''), '');
  });

  it('refuses an empty secret', () => {
    assert.throws(() => new Srs({ secrets: [''], domain: 'x.test', maxAgeDays: 21 }), /secret/);
    assert.throws(() => new Srs({ secrets: [], domain: 'x.test', maxAgeDays: 21 }), /secret/);
  });
});

describe('SRS secret file', () => {
  it('is created 0600 with a random secret when missing, then read back unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pochta-srs-'));
    try {
      const path = join(dir, 'sub', 'srs.secret');
      const first = loadOrCreateSrsSecrets(path);
      assert.equal(first.length, 1);
      assert.ok((first[0] as string).length >= 32);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.deepEqual(loadOrCreateSrsSecrets(path), first);
      assert.notDeepEqual(loadOrCreateSrsSecrets(join(dir, 'other')), first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads one secret per line, skipping blanks and comments, and refuses a file without one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pochta-srs-'));
    try {
      const path = join(dir, 'srs.secret');
      await writeFile(path, '# rotated 2026-11\nnew\r\n\nold\n');
      assert.deepEqual(loadOrCreateSrsSecrets(path), ['new', 'old']);
      await writeFile(path, '# nothing\n\n');
      assert.throws(() => loadOrCreateSrsSecrets(path), (e: Error) => e.message.includes(path) && !e.message.includes('nothing'));
      assert.equal(await readFile(path, 'utf8'), '# nothing\n\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SRS from the config', () => {
  it('follows [srs]: off gives null; on reads the secret; reload() picks up a rotated secret; errors are told once', async () => {
    const { parseConfig } = await import('../../../src/config/index.js');
    const { srsProvider } = await import('../../../src/antispam/srs-config.js');
    const dir = await mkdtemp(join(tmpdir(), 'pochta-srs-'));
    try {
      const cfg = (srs: string) => parseConfig(`[server]\nhostname = "MX.Fwd.test"\ndata_dir = "${dir}"\n${srs}`, join(dir, 'pochta.toml'));
      let config = cfg('[srs]\nenabled = false\n');
      const errors: Error[] = [];
      const p = srsProvider(() => config, (e) => errors.push(e));
      assert.equal(p.get(), null);
      config = cfg('');
      const a = p.get();
      assert.equal(a?.domain, 'mx.fwd.test');
      const made = a!.forward('x@y.test');
      await writeFile(join(dir, 'srs.secret'), 'rotated\n');
      assert.equal(p.get(), a); // same config: no re-read
      p.reload();
      const b = p.get();
      assert.notEqual(b, a);
      assert.deepEqual(b!.reverse(made), { kind: 'invalid', reason: 'hash' });
      config = cfg(`[srs]\nsecret_file = "${join(dir, 'empty')}"\n`);
      await writeFile(join(dir, 'empty'), '\n');
      assert.equal(p.get(), null);
      assert.equal(p.get(), null);
      assert.equal(errors.length, 1);
      assert.doesNotMatch(errors[0]!.message, /rotated/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
