/**
 * Short random identifiers for log correlation (connection ids, session ids).
 *
 * `newConnectionId()` gives 10 lowercase base-36 characters from 48 random bits: short enough to read in a
 * log line, and with about 2.8e14 values, collisions among the connections of one log are negligible.
 * Not secret and not for security decisions. Side effects: reads the CSPRNG.
 */
import { randomBytes } from 'node:crypto';

/** A short unique id such as "k3x9q0b2mz", for `log.child({ conn: id })`. */
export function newConnectionId(): string {
  return randomBytes(6).readUIntBE(0, 6).toString(36).padStart(10, '0');
}
