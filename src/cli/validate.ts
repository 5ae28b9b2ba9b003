/** Argument validation for the CLI: addresses and domains normalised (lower case, A-label) or a clear error. */
import { UserError } from '../lib/errors.js';
import { normalizeAddress, normalizeDomain } from '../mail/address.js';

export function normalizeDomainOrThrow(name: string): string {
  const d = normalizeDomain(name);
  if (!d) throw new UserError(`'${name}' is not a valid domain name`);
  return d;
}

export function normalizeAddressOrThrow(address: string): string {
  const a = normalizeAddress(address);
  if (!a) throw new UserError(`'${address}' is not a valid mail address (RFC 5321: local@domain)`);
  return a;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
