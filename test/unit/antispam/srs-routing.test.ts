// pipeline/srs-routing.ts: how SRS addresses resolve and which senders are rewritten (a stub inner directory).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Srs } from '../../../src/antispam/srs.js';
import type { Directory, RecipientResolution } from '../../../src/directory/directory.js';
import { SrsDirectory, SrsSenderRewriter } from '../../../src/pipeline/srs-routing.js';

const srs = new Srs({ secrets: ['k'], domain: 'mx.fwd.test', maxAgeDays: 21 });
const ours = new Set(['fwd.test']);
const inner: Directory = {
  authenticate: async () => null,
  addressesOf: async () => [],
  isLocalDomain: async (d) => ours.has(d.toLowerCase()),
  resolveRecipient: async (a): Promise<RecipientResolution> => (ours.has(a.split('@')[1] ?? '') ? { kind: 'unknown' } : { kind: 'not-local' }),
};

describe('SrsDirectory', () => {
  const dir = new SrsDirectory(inner, () => srs);

  it('serves the SRS domain and resolves a valid SRS address to the original sender, remote', async () => {
    assert.equal(await dir.isLocalDomain('MX.fwd.test'), true);
    assert.deepEqual(await dir.resolveRecipient(srs.forward('alice@sender.test')), { kind: 'local', targets: [], remote: ['alice@sender.test'] });
  });

  it('answers unknown for a bad hash and for non-SRS local parts at an SRS domain that is not ours', async () => {
    assert.deepEqual(await dir.resolveRecipient('SRS0=AAAA=AA=sender.test=alice@mx.fwd.test'), { kind: 'unknown' });
    assert.deepEqual(await dir.resolveRecipient('postmaster@mx.fwd.test'), { kind: 'unknown' });
  });

  it('leaves other domains and SRS off to the wrapped directory', async () => {
    assert.deepEqual(await dir.resolveRecipient('x@remote.test'), { kind: 'not-local' });
    const off = new SrsDirectory(inner, () => null);
    assert.equal(await off.isLocalDomain('mx.fwd.test'), false);
    assert.deepEqual(await off.resolveRecipient(srs.forward('alice@sender.test')), { kind: 'not-local' });
  });
});

describe('SrsSenderRewriter', () => {
  const rw = new SrsSenderRewriter(() => srs, (d) => inner.isLocalDomain(d));

  it('rewrites a foreign sender and keeps null, local and SRS-domain senders', async () => {
    assert.match(await rw.forwardSender('alice@sender.test'), /^SRS0=[^=]{4}=[A-Z2-7]{2}=sender\.test=alice@mx\.fwd\.test$/);
    assert.equal(await rw.forwardSender(''), '');
    assert.equal(await rw.forwardSender('carol@FWD.test'), 'carol@FWD.test');
    const srsSender = srs.forward('alice@sender.test');
    assert.equal(await rw.forwardSender(srsSender), srsSender);
    assert.equal(await new SrsSenderRewriter(() => null, async () => false).forwardSender('alice@sender.test'), 'alice@sender.test');
  });
});
