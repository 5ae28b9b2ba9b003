/**
 * Who an authenticated submission client may send as (RFC 6409 §6.1: the MSA MAY refuse a sender the user is
 * not authorized to use; Postfix's reject_sender_login_mismatch). The owned addresses come from the directory
 * (`addressesOf`: the account's address, its admin-set sendAs list, and the aliases that lead to it). An address
 * with a sub-address tag (`user+tag@…`, RFC 5233) is owned when its base is. Comparison uses the lookup key
 * (lower-case local part, A-label domain). Both the envelope sender (MAIL FROM) and every mailbox of the From:
 * header field (RFC 5322 §3.6.2) are checked; the null reverse-path `<>` owns nothing and is not refused here.
 *
 * Pure; no I/O.
 */

import { MailError } from '../../../lib/errors.js';
import { parseAddressList } from '../../../mail/address-list.js';
import { normalizeAddress, splitPlusAddress } from '../../../mail/address.js';
import { getHeaders, parseHeaderBlock } from '../../../mail/headers.js';

/** The set of lookup keys an account may send as. */
export function ownedAddressSet(addresses: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const a of addresses) {
    const k = normalizeAddress(a);
    if (k !== null) out.add(k);
  }
  return out;
}

/** True when `address` (any case, with or without a +tag) is one of `owned`. */
export function ownsAddress(address: string, owned: ReadonlySet<string>, plusSeparator: string): boolean {
  const key = normalizeAddress(address);
  if (key === null) return false;
  if (owned.has(key)) return true;
  if (plusSeparator === '') return false;
  const at = key.lastIndexOf('@');
  const { base, detail } = splitPlusAddress(key.slice(0, at), plusSeparator);
  return detail !== null && owned.has(`${base}${key.slice(at)}`);
}

/** RFC 3463 X.7.1: delivery not authorized (Postfix: "Sender address rejected: not owned by user"). */
export function senderNotOwned(address: string, login: string): MailError {
  return new MailError(`Sender address rejected: <${address}> not owned by user ${login}`, { code: 553, enhanced: '5.7.1', temporary: false });
}

export type FromHeaderVerdict =
  | { kind: 'ok'; addresses: string[] }
  | { kind: 'missing' }
  | { kind: 'not-owned'; address: string }
  | { kind: 'unparsable' };

/** The addr-specs of every From: field in a header block (group syntax markers skipped). */
export function fromAddresses(header: Buffer): string[] | null {
  const values = getHeaders(parseHeaderBlock(header), 'From');
  if (values.length === 0) return null;
  const out: string[] = [];
  for (const v of values) {
    for (const a of parseAddressList(v) ?? []) {
      if (a.mailbox === null || a.host === null) continue;
      out.push(`${a.mailbox}@${a.host}`);
    }
  }
  return out;
}

/** Checks the From: header field of a submitted message against the owned addresses. */
export function checkFromHeader(header: Buffer, owned: ReadonlySet<string>, plusSeparator: string): FromHeaderVerdict {
  const addresses = fromAddresses(header);
  if (addresses === null) return { kind: 'missing' };
  if (addresses.length === 0) return { kind: 'unparsable' };
  for (const a of addresses) if (!ownsAddress(a, owned, plusSeparator)) return { kind: 'not-owned', address: a };
  return { kind: 'ok', addresses };
}
