/**
 * A self-signed certificate for the first start, so STARTTLS and the implicit-TLS ports work before the admin
 * installs a real certificate. selfsigned 5 (async, @peculiar/x509 on node's WebCrypto).
 *
 * Invariants: RSA 2048, signed with SHA-256 (selfsigned's default would be SHA-1); the subjectAltName lists the
 * host name and the IPs (127.0.0.1 and ::1 unless given), since clients match SANs, not the CN (RFC 6125 §6.4.4).
 * The key is PKCS#8 PEM. Side effects: none (the caller writes the files).
 */
import { generate } from 'selfsigned';

export interface SelfSignedOptions {
  hostname: string;
  /** IP addresses for the SAN; default ['127.0.0.1', '::1']. */
  ips?: readonly string[];
  /** Validity in days from now; default 825. */
  days?: number;
}

export async function generateSelfSignedCert(opts: SelfSignedOptions): Promise<{ cert: string; key: string }> {
  const ips = opts.ips ?? ['127.0.0.1', '::1'];
  const notBeforeDate = new Date(Date.now() - 60_000); // a minute of slack for clocks a little behind
  const notAfterDate = new Date(notBeforeDate.getTime() + (opts.days ?? 825) * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: opts.hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [{ type: 2, value: opts.hostname }, ...ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
