/**
 * The size of a message in canonical form: every line ending CRLF (a bare LF counts as CRLF) and the last line
 * terminated. It is what a POP3 client counts for STAT/LIST (RFC 1939 §11: "exact size" with CRLF line ends,
 * without the stuffing dots) and is computed once at delivery into the cached structure. Pure.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Counts chunk by chunk with constant state, for streams. */
export class CrlfSizeCounter {
  private size = 0;
  private prevCR = false;
  private atLineStart = true;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.size += chunk.length;
    let lf = chunk.indexOf(LF);
    while (lf >= 0) {
      const prev = lf > 0 ? chunk[lf - 1] : this.prevCR ? CR : 0;
      if (prev !== CR) this.size++; // a bare LF goes out as CRLF
      lf = chunk.indexOf(LF, lf + 1);
    }
    const last = chunk[chunk.length - 1];
    this.prevCR = last === CR;
    this.atLineStart = last === LF;
  }

  /** The total, including the line break added to an unterminated last line. */
  end(): number {
    if (this.atLineStart) return this.size;
    return this.size + (this.prevCR ? 1 : 2);
  }
}

/** Canonical size of the concatenation of `parts`. */
export function crlfSize(...parts: Buffer[]): number {
  const c = new CrlfSizeCounter();
  for (const p of parts) c.push(p);
  return c.end();
}
