/**
 * DKIM signing keys (RFC 6376) in the data directory: `<data_dir>/dkim/<domain>.<selector>.key`, PEM (PKCS#8),
 * mode 0600. `generateDkimKey` makes RSA-2048 (RFC 8301 §3.2: at least 1024, 2048 recommended) or Ed25519
 * (RFC 8463) keys with node:crypto and gives the DNS TXT record to publish at `<selector>._domainkey.<domain>`
 * (RFC 6376 §3.6.1: v=DKIM1; k=; p= the base64 public key: SubjectPublicKeyInfo DER for RSA, the raw 32-byte
 * key for Ed25519, RFC 8463 §4.2). `loadDkimKeys` lists a domain's keys for signing (several selectors = several
 * signatures, so a new key can be added before its DNS record is published).
 *
 * Side effects: file system reads and writes under <data_dir>/dkim.
 */

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type DkimAlgorithm = 'rsa' | 'ed25519';

export interface DkimKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** PEM private key. */
  privateKey: string;
}

/**
 * RFC 6376 §3.1 allows dotted selectors; pochta takes one label (letters, digits, hyphens) so that the file name
 * `<domain>.<selector>.key` is unambiguous (`example.org.uk.s1.key` is not a key of example.org).
 */
const SELECTOR = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function isValidSelector(s: string): boolean {
  return SELECTOR.test(s);
}

export function dkimDir(dataDir: string): string {
  return join(dataDir, 'dkim');
}

export function dkimKeyPath(dataDir: string, domain: string, selector: string): string {
  return join(dkimDir(dataDir), `${domain}.${selector}.key`);
}

function algorithmOf(key: KeyObject): DkimAlgorithm | null {
  const t = key.asymmetricKeyType;
  return t === 'rsa' ? 'rsa' : t === 'ed25519' ? 'ed25519' : null;
}

/** The base64 `p=` value for a public key. */
export function dkimPublicValue(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 8463 §4.2: for ed25519 the p= value is the bare 32-byte public key, not SPKI.
  return (publicKey.asymmetricKeyType === 'ed25519' ? der.subarray(-32) : der).toString('base64');
}

/** The TXT record value (one string; DNS software splits it into 255-byte character-strings). */
export function dkimTxtValue(algorithm: DkimAlgorithm, publicValue: string): string {
  return `v=DKIM1; k=${algorithm}; p=${publicValue}`;
}

/** A zone-file line: `S._domainkey.DOMAIN. IN TXT ( "..." "..." )`, split in 255-byte strings (RFC 1035 §3.3.14). */
export function dkimZoneLine(domain: string, selector: string, txt: string): string {
  const parts = txt.match(/.{1,255}/g) ?? [txt];
  const quoted = parts.map((p) => `"${p}"`).join(' ');
  return `${selector}._domainkey.${domain}. IN TXT ${parts.length > 1 ? `( ${quoted} )` : quoted}`;
}

export interface GeneratedKey {
  path: string;
  txtName: string;
  txt: string;
  zoneLine: string;
}

/** Makes a key pair, writes the private key (0600, refusing to overwrite), and returns the DNS record. */
export async function generateDkimKey(dataDir: string, domain: string, selector: string, algorithm: DkimAlgorithm): Promise<GeneratedKey> {
  const pair = algorithm === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(dkimDir(dataDir), { recursive: true, mode: 0o700 });
  const path = dkimKeyPath(dataDir, domain, selector);
  await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  const txt = dkimTxtValue(algorithm, dkimPublicValue(pair.publicKey));
  return { path, txtName: `${selector}._domainkey.${domain}`, txt, zoneLine: dkimZoneLine(domain, selector, txt) };
}

/** The TXT record of an existing private key (for `dkim show`-like uses and tests). */
export function dkimRecordOfPrivateKey(pem: string): { algorithm: DkimAlgorithm; txt: string } | null {
  const key = createPrivateKey(pem);
  const algorithm = algorithmOf(key);
  if (algorithm === null) return null;
  return { algorithm, txt: dkimTxtValue(algorithm, dkimPublicValue(createPublicKey(key))) };
}

/** Every readable key of `domain` (A-label, lower case), sorted by selector; none when the directory is absent. */
export async function loadDkimKeys(dataDir: string, domain: string): Promise<DkimKey[]> {
  let names: string[];
  try {
    names = await readdir(dkimDir(dataDir));
  } catch {
    return [];
  }
  const prefix = `${domain}.`;
  const out: DkimKey[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith(prefix) || !name.endsWith('.key')) continue;
    const selector = name.slice(prefix.length, -'.key'.length);
    if (!isValidSelector(selector)) continue;
    const privateKey = await readFile(join(dkimDir(dataDir), name), 'utf8');
    const algorithm = algorithmOf(createPrivateKey(privateKey));
    if (algorithm === null) continue;
    out.push({ domain, selector, algorithm, privateKey });
  }
  return out;
}
