/** Spam filter replies (spamc protocol, rspamd /checkv2 JSON), the verdict headers and the score policy. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideSpam, parseRspamdReply, parseSpamdReply, spamHeaders, type SpamVerdict } from '../../../src/antispam/spam-filter.js';

describe('spamd replies', () => {
  it('reads the verdict, score, threshold and rule names', () => {
    const v = parseSpamdReply('SPAMD/1.1 0 EX_OK\r\nContent-length: 12\r\nSpam: True ; 1005.2 / 5.0\r\n\r\nGTUBE,NO_RELAYS');
    assert.deepEqual(v, { isSpam: true, score: 1005.2, required: 5, action: null, symbols: ['GTUBE', 'NO_RELAYS'] });
    assert.equal(parseSpamdReply('SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.1 / 5.0\r\n\r\n').isSpam, false);
  });

  it('throws on an error status or a garbled reply', () => {
    assert.throws(() => parseSpamdReply('SPAMD/1.0 76 Bad header line: x\r\n\r\n'), /76/);
    assert.throws(() => parseSpamdReply('HTTP/1.1 200 OK\r\n\r\n'), /bad reply/);
    assert.throws(() => parseSpamdReply('SPAMD/1.1 0 EX_OK\r\n\r\n'), /Spam header/);
  });
});

describe('rspamd replies', () => {
  it('reads score, required score, action and symbols', () => {
    const v = parseRspamdReply(JSON.stringify({ score: 16.2, required_score: 15, action: 'reject', symbols: { GTUBE: { score: 0 }, B: {} } }));
    assert.deepEqual(v, { score: 16.2, required: 15, action: 'reject', isSpam: true, symbols: ['B', 'GTUBE'] });
    assert.equal(parseRspamdReply('{"score":1,"required_score":15,"action":"no action"}').isSpam, false);
    assert.throws(() => parseRspamdReply('{"error":"x"}'), /score/);
  });
});

describe('spam policy', () => {
  const v = (score: number, isSpam: boolean, action: string | null = null): SpamVerdict => ({ score, required: 5, isSpam, action, symbols: [] });
  it('rejects at the reject score, files spam to Junk, delivers the rest', () => {
    assert.equal(decideSpam(v(20, true), 15), 'reject');
    assert.equal(decideSpam(v(10, true), 15), 'junk');
    assert.equal(decideSpam(v(1000, true), 0), 'junk');
    assert.equal(decideSpam(v(1, false), 15), 'deliver');
  });

  it('writes SpamAssassin-style headers', () => {
    assert.equal(spamHeaders({ ...v(7.25, true), symbols: ['A', 'B'] }, 'spamd'), 'X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=7.3 required=5.0 filter=spamd tests=A,B\r\n');
    assert.equal(spamHeaders(v(0, false), 'rspamd'), 'X-Spam-Status: No, score=0.0 required=5.0 filter=rspamd\r\n');
  });
});
