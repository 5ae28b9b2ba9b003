/**
 * DKIM signing (RFC 6376) of mail submitted by authenticated users, with mailauth's `dkimSign`: one signature
 * per key the From: domain has in `<data_dir>/dkim` (dkim-keys.ts), relaxed/relaxed canonicalization (RFC 6376
 * §3.4.2, §3.4.4), rsa-sha256 (RFC 8301) or ed25519-sha256 (RFC 8463). The DKIM-Signature fields go on top of
 * the message (RFC 6376 §5.6).
 *
 * TRAP (notes/dependencies.md "mailauth"): the top-level `signingDomain/selector/privateKey` options sign
 * nothing and report no error; only `signatureData` works.
 *
 * A signing failure never stops the mail: the message goes out unsigned and the failure is logged.
 * Side effects: reads the key files; CPU for the signature.
 */

import { dkimSign, type DKIMSignOptions } from 'mailauth';
import { normalizeDomain } from '../../../mail/address.js';
import type { Logger } from '../../../lib/logger.js';
import { loadDkimKeys, type DkimKey } from './dkim-keys.js';

/** The DKIM-Signature header fields (each ending in CRLF) for `message`, or '' when nothing was signed. */
export async function dkimSignatures(message: Buffer, keys: readonly DkimKey[]): Promise<{ headers: string; errors: string[] }> {
  if (keys.length === 0) return { headers: '', errors: [] };
  const signatureData: DKIMSignOptions[] = keys.map((k) => ({
    signingDomain: k.domain,
    selector: k.selector,
    privateKey: k.privateKey,
    algorithm: k.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
    canonicalization: 'relaxed/relaxed',
  }));
  const result = await dkimSign(message, { canonicalization: 'relaxed/relaxed', signatureData } as unknown as DKIMSignOptions);
  const errors = (result.errors ?? []).map((e: unknown) => (e instanceof Error ? e.message : JSON.stringify(e)));
  let headers = result.signatures ?? '';
  if (headers !== '' && !headers.endsWith('\r\n')) headers += '\r\n';
  return { headers, errors };
}

/** Signs `message` with the keys of `fromDomain`; returns the message to send (signed, or as it was). */
export async function signOutgoing(message: Buffer, fromDomain: string | null, dataDir: string, log: Logger): Promise<Buffer> {
  if (fromDomain === null) return message;
  const domain = normalizeDomain(fromDomain);
  if (domain === null) return message;
  try {
    const keys = await loadDkimKeys(dataDir, domain);
    if (keys.length === 0) return message;
    const { headers, errors } = await dkimSignatures(message, keys);
    if (errors.length > 0) log.warn({ domain, errors }, 'DKIM signing reported errors');
    if (headers === '') return message;
    log.debug({ domain, selectors: keys.map((k) => k.selector) }, 'DKIM signed');
    return Buffer.concat([Buffer.from(headers, 'utf8'), message]);
  } catch (err) {
    log.warn({ err, domain }, 'DKIM signing failed, sending unsigned');
    return message;
  }
}
