/**
 * A self-signed certificate for protocol tests: CN and SAN 'mx.test', plus 127.0.0.1 and ::1, generated once per
 * process (about 0.2 s) with the same code the server uses on first start. Clients pin it with `ca: [cert]`.
 */
import { generateSelfSignedCert } from '../../src/net/self-signed.js';

export interface TestCertificate {
  cert: string;
  key: string;
  hostname: 'mx.test';
}

let cached: Promise<TestCertificate> | undefined;

export function testCertificate(): Promise<TestCertificate> {
  cached ??= generateSelfSignedCert({ hostname: 'mx.test', ips: ['127.0.0.1', '::1'] }).then((pem) => ({
    ...pem,
    hostname: 'mx.test' as const,
  }));
  return cached;
}

/** Another certificate for the same names, e.g. to check that a reload swapped certificates. Not cached. */
export function freshTestCertificate(): Promise<TestCertificate> {
  return generateSelfSignedCert({ hostname: 'mx.test', ips: ['127.0.0.1', '::1'] }).then((pem) => ({
    ...pem,
    hostname: 'mx.test' as const,
  }));
}
