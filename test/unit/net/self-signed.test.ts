import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { generateSelfSignedCert } from '../../../src/net/self-signed.js';

test('the first-start certificate is RSA 2048, SHA-256 signed, with the host name and loopback IPs as SANs', async () => {
  const { cert, key } = await generateSelfSignedCert({ hostname: 'mail.example.com' });
  const x509 = new X509Certificate(cert);
  assert.equal(x509.subject, 'CN=mail.example.com');
  assert.equal(x509.subjectAltName, 'DNS:mail.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.ok(x509.checkHost('mail.example.com'));
  assert.ok(x509.checkIP('127.0.0.1'));
  const privateKey = createPrivateKey(key);
  assert.equal(privateKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.ok(x509.checkPrivateKey(privateKey));
  assert.ok(x509.verify(x509.publicKey));
  assert.ok(new Date(x509.validTo).getTime() > Date.now() + 800 * 86_400_000);
  // sha256WithRSAEncryption, not the sha1 default of selfsigned.
  assert.ok(x509.raw.includes(Buffer.from('2a864886f70d01010b', 'hex')));
});

test('the SAN lists the given IPs instead of loopback', async () => {
  const { cert } = await generateSelfSignedCert({ hostname: 'mx.test', ips: ['192.0.2.25'], days: 30 });
  assert.equal(new X509Certificate(cert).subjectAltName, 'DNS:mx.test, IP Address:192.0.2.25');
});
