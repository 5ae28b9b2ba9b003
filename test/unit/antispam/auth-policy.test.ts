/** decideAuthPolicy: DMARC p=reject/quarantine with pct (RFC 7489 §6.6.4) and SPF fail (RFC 7208 §8.4). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAuthPolicy, type AuthPolicy, type InboundAuthResult } from '../../../src/antispam/inbound-auth.js';

function result(over: Partial<InboundAuthResult>): InboundAuthResult {
  return { entries: [], spf: 'none', spfHelo: null, dkim: [], dmarc: null, arc: null, timedOut: false, ...over };
}
const dmarc = (r: 'pass' | 'fail' | 'temperror', policy: 'none' | 'quarantine' | 'reject', pct = 100): InboundAuthResult['dmarc'] => ({ result: r, policy, domain: 'sender.test', pct });
const policy: AuthPolicy = { dmarcReject: 'reject', dmarcQuarantine: 'junk', spfFail: 'tag', random: () => 0.5 };

describe('decideAuthPolicy', () => {
  it('rejects DMARC fail under p=reject with 550 5.7.1', () => {
    const d = decideAuthPolicy(result({ dmarc: dmarc('fail', 'reject') }), policy);
    assert.equal(d.kind, 'reject');
    assert.equal(d.kind === 'reject' && `${d.error.code} ${d.error.enhanced} ${d.error.temporary}`, '550 5.7.1 false');
  });

  it('files DMARC fail under p=reject to Junk or only tags, as configured', () => {
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'reject') }), { ...policy, dmarcReject: 'junk' }).kind, 'junk');
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'reject') }), { ...policy, dmarcReject: 'tag' }).kind, 'accept');
  });

  it('files DMARC fail under p=quarantine to Junk', () => {
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'quarantine') }), policy).kind, 'junk');
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'quarantine') }), { ...policy, dmarcQuarantine: 'tag' }).kind, 'accept');
  });

  it('applies the next weaker policy to messages outside pct', () => {
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'reject', 40) }), policy).kind, 'junk');
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'reject', 60) }), policy).kind, 'reject');
    assert.equal(decideAuthPolicy(result({ dmarc: dmarc('fail', 'quarantine', 0) }), policy).kind, 'accept');
  });

  it('accepts DMARC pass, temperror and p=none', () => {
    for (const d of [dmarc('pass', 'reject'), dmarc('temperror', 'reject'), dmarc('fail', 'none')]) {
      assert.equal(decideAuthPolicy(result({ dmarc: d }), policy).kind, 'accept');
    }
  });

  it('rejects SPF fail with 550 5.7.23 only when so configured and DMARC did not pass', () => {
    const d = decideAuthPolicy(result({ spf: 'fail' }), { ...policy, spfFail: 'reject' });
    assert.equal(d.kind === 'reject' && `${d.error.code} ${d.error.enhanced}`, '550 5.7.23');
    assert.equal(decideAuthPolicy(result({ spf: 'fail' }), policy).kind, 'accept');
    assert.equal(decideAuthPolicy(result({ spf: 'fail', dmarc: dmarc('pass', 'reject') }), { ...policy, spfFail: 'reject' }).kind, 'accept');
    assert.equal(decideAuthPolicy(result({ spf: 'softfail' }), { ...policy, spfFail: 'reject' }).kind, 'accept');
  });
});
