// STARTTLS and implicit TLS listeners on 127.0.0.1, with clients that pin the test certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, type Listener } from '../../../src/net/listen.js';
import { createTlsContextProvider, type SecureContextProvider } from '../../../src/net/tls-context.js';
import { startTls } from '../../../src/net/start-tls.js';
import { freshTestCertificate, testCertificate, type TestCertificate } from '../../helpers/certs.js';

let cert: TestCertificate;
let dir: string;
const open: Listener[] = [];

before(async () => {
  cert = await testCertificate();
  dir = await mkdtemp(join(tmpdir(), 'pochta-tls-'));
});
after(async () => {
  await Promise.all(open.map((l) => l.close()));
  await rm(dir, { recursive: true, force: true });
});

async function providerFromFiles(pem: { cert: string; key: string }, name: string): Promise<{ provider: SecureContextProvider; certPath: string; keyPath: string }> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  await writeFile(certPath, pem.cert);
  await writeFile(keyPath, pem.key, { mode: 0o600 });
  return { provider: await createTlsContextProvider({ certPath, keyPath }), certPath, keyPath };
}

/** An implicit-TLS echo of the negotiated protocol, for the handshake tests. */
async function implicitListener(provider: SecureContextProvider): Promise<Listener> {
  const l = await listen({ address: '127.0.0.1', port: 0, tls: 'implicit' }, (socket, info) => {
    socket.end(`* OK ${(socket as tls.TLSSocket).getProtocol()} secure=${info.secure}\r\n`);
  }, { tls: provider, handshakeTimeoutMs: 2000 });
  open.push(l);
  return l;
}

function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

/** Polls a condition every 10 ms for at most `ms`. */
async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function connectPinned(port: number, ca: string, extra: tls.ConnectionOptions = {}): tls.TLSSocket {
  return tls.connect({ host: '127.0.0.1', port, servername: 'mx.test', ca: [ca], ...extra });
}

test('STARTTLS upgrades a plain connection for a client that pins the certificate', async () => {
  const provider = await createTlsContextProvider({ cert: cert.cert, key: cert.key });
  const l = await listen({ address: '127.0.0.1', port: 0, tls: 'starttls' }, (socket, info) => {
    socket.write('220 mx.test ready\r\n');
    socket.once('data', (line) => {
      assert.equal(line.toString(), 'STARTTLS\r\n');
      socket.write('220 2.0.0 go ahead\r\n');
      void info.startTls!().then((secure) => {
        assert.equal(info.secure, true);
        secure.end(`250 secure ${secure.getProtocol()}\r\n`);
      });
    });
  }, { tls: provider });
  open.push(l);

  const plain = net.connect(l.port, '127.0.0.1');
  const [greeting] = (await once(plain, 'data')) as [Buffer];
  assert.equal(greeting.toString(), '220 mx.test ready\r\n');
  plain.write('STARTTLS\r\n');
  const [goAhead] = (await once(plain, 'data')) as [Buffer];
  assert.equal(goAhead.toString(), '220 2.0.0 go ahead\r\n');
  const secure = tls.connect({ socket: plain, servername: 'mx.test', ca: [cert.cert] });
  await once(secure, 'secureConnect');
  assert.equal(secure.authorized, true);
  assert.match(await readAll(secure), /^250 secure TLSv1\.[23]\r\n$/);
  // The slot is released when the upgraded connection closes.
  await waitFor(() => l.connectionCount() === 0);
});

test('implicit TLS hands over the TLS socket after the handshake', async () => {
  const provider = await createTlsContextProvider({ cert: cert.cert, key: cert.key });
  const l = await implicitListener(provider);
  const client = connectPinned(l.port, cert.cert);
  assert.match(await readAll(client), /^\* OK TLSv1\.3 secure=true\r\n$/);
  assert.equal(client.authorized, true);
  await waitFor(() => l.connectionCount() === 0);
});

test('a TLS 1.1 client is refused (and the same client works against a server that allows 1.1)', async () => {
  const legacy: tls.ConnectionOptions = {
    minVersion: 'TLSv1.1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  };
  // Control: this machine's OpenSSL can speak TLS 1.1, so a refusal below comes from our server.
  const permissive = tls.createServer({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end('ok'));
  await new Promise<void>((r) => permissive.listen(0, '127.0.0.1', r));
  const control = connectPinned((permissive.address() as net.AddressInfo).port, cert.cert, legacy);
  await once(control, 'secureConnect');
  assert.equal(control.getProtocol(), 'TLSv1.1');
  control.destroy();
  permissive.close();

  const errors: Error[] = [];
  const provider = await createTlsContextProvider({ cert: cert.cert, key: cert.key });
  const l = await listen({ address: '127.0.0.1', port: 0, tls: 'implicit' }, () => assert.fail('handed over'), {
    tls: provider,
    onError: (e) => errors.push(e),
  });
  open.push(l);
  const client = connectPinned(l.port, cert.cert, legacy);
  const [err] = (await once(client, 'error')) as [Error & { code?: string }];
  assert.match(String(err.code), /ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION|ERR_SSL_UNSUPPORTED_PROTOCOL|ECONNRESET/);
  while (errors.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.match(errors[0].message, /^TLS handshake failed/);
  assert.equal(l.connectionCount(), 0);
});

test('minVersion TLSv1.3 refuses a TLS 1.2 client', async () => {
  const provider = await createTlsContextProvider({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.3' });
  const l = await implicitListener(provider);
  const client = connectPinned(l.port, cert.cert, { maxVersion: 'TLSv1.2' });
  await once(client, 'error');
});

test('reload() swaps the certificate for new connections and keeps open ones', async () => {
  const first = await testCertificate();
  const second = await freshTestCertificate();
  const { provider, certPath, keyPath } = await providerFromFiles(first, 'reload');
  const held: tls.TLSSocket[] = [];
  const l = await listen({ address: '127.0.0.1', port: 0, tls: 'implicit' }, (socket) => {
    held.push(socket as tls.TLSSocket);
    socket.write('* OK\r\n');
  }, { tls: provider });
  open.push(l);

  const before = connectPinned(l.port, first.cert);
  await once(before, 'data');
  const fingerprintBefore = before.getPeerCertificate().fingerprint256;

  await writeFile(certPath, second.cert);
  await writeFile(keyPath, second.key);
  await provider.reload();
  assert.equal(provider.certificate().fingerprint256, new (await import('node:crypto')).X509Certificate(second.cert).fingerprint256);

  // A client pinning the old certificate no longer trusts the server...
  const stale = connectPinned(l.port, first.cert);
  const [err] = (await once(stale, 'error')) as [Error & { code?: string }];
  assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  // ...one pinning the new certificate does, and sees a different certificate.
  const after = connectPinned(l.port, second.cert);
  await once(after, 'data');
  assert.notEqual(after.getPeerCertificate().fingerprint256, fingerprintBefore);
  // The connection opened before the reload still works.
  before.write('ping');
  assert.equal(before.destroyed, false);
  for (const s of [before, after, ...held]) s.destroy();
});

test('a failed reload keeps the old certificate and says which file to fix', async () => {
  const other = await freshTestCertificate();
  const { provider, keyPath } = await providerFromFiles(cert, 'mismatch');
  const fingerprint = provider.certificate().fingerprint256;
  await writeFile(keyPath, other.key);
  await assert.rejects(provider.reload(), { name: 'UserError', message: /^the TLS key does not fit certificate .*mismatch\.crt .*tls\.key in pochta\.toml/ });
  assert.equal(provider.certificate().fingerprint256, fingerprint);
  await rm(keyPath);
  await assert.rejects(provider.reload(), { name: 'UserError', message: /^cannot read TLS key .*mismatch\.key \(ENOENT\)/ });
  const l = await implicitListener(provider);
  assert.match(await readAll(connectPinned(l.port, cert.cert)), /^\* OK/);
});

test('a client that never starts the handshake is dropped after the timeout', async () => {
  const provider = await createTlsContextProvider({ cert: cert.cert, key: cert.key });
  const server = net.createServer((socket) => {
    startTls(socket, provider, { handshakeTimeoutMs: 150 }).then(
      () => assert.fail('handshake completed'),
      (e: Error) => server.emit('result', e),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const silent = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  silent.on('error', () => {});
  const [e] = (await once(server, 'result')) as [Error];
  assert.equal(e.name, 'TlsHandshakeError');
  assert.match(e.message, /within 150 ms/);
  await once(silent, 'close');
  server.close();
});

test('close() ends open TLS connections and resolves', async () => {
  const provider = await createTlsContextProvider({ cert: cert.cert, key: cert.key });
  const l = await listen({ address: '127.0.0.1', port: 0, tls: 'implicit' }, (socket) => socket.write('* OK\r\n'), { tls: provider });
  const client = connectPinned(l.port, cert.cert);
  await once(client, 'data');
  const closed = once(client, 'close');
  await l.close();
  await closed;
  assert.equal(l.connectionCount(), 0);
});
