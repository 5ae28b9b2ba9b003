/**
 * Queue ids: unique and sortable by creation time. 10 Crockford base32 characters of milliseconds since the
 * epoch, 4 of a per-millisecond sequence (monotonic within the process), 6 random (unique across processes).
 */

import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

let lastMs = 0;
let seq = 0;

export function newQueueId(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    seq++;
    if (seq >= 32 ** 4) {
      // More than a million ids in one millisecond: borrow the next millisecond to stay monotonic.
      lastMs++;
      seq = 0;
    }
  } else {
    lastMs = nowMs;
    seq = 0;
  }
  const rnd = randomBytes(4).readUInt32BE(0);
  return base32(lastMs, 10) + base32(seq, 4) + base32(rnd, 6);
}
