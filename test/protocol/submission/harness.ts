/**
 * Bench for the submission tests: the fake DNS, an in-process smtp-server receiver on 127.0.0.2 that is the MX
 * of example.com (the queue's remote_port points at it), and a pochta server with submission on STARTTLS and
 * implicit TLS. Users: ivanov@example.org (alias info@example.org, may also send as ivan@sendas.test),
 * petrov@example.org, sidorov@example.net. Helpers: an authenticated raw session, DKIM verification through
 * the fake DNS.
 */
import { Resolver } from 'node:dns/promises';
import { dkimVerify } from 'mailauth';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { startReceiver, type Receiver } from '../queue/harness.js';
import { greetAndEhlo, RawClient, type Reply } from '../smtp/raw-client.js';

export const PASSWORD = 'correct horse battery';

export interface Bench {
  srv: TestServer;
  dns: FakeDns;
  remote: Receiver;
  close(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  const dns = await startFakeDns();
  const remote = await startReceiver('127.0.0.2', 0);
  dns.add('example.com', 'MX', { exchange: 'mx.example.com', priority: 10 });
  dns.add('mx.example.com', 'A', '127.0.0.2');
  const srv = await startServer({
    dns,
    listeners: [
      { protocol: 'submission', tls: 'starttls' },
      { protocol: 'submission', tls: 'implicit' },
    ],
    domains: ['example.org', 'example.net'],
    users: [
      { address: 'ivanov@example.org', password: PASSWORD },
      { address: 'petrov@example.org', password: PASSWORD },
      { address: 'sidorov@example.net', password: PASSWORD },
    ],
    aliases: [{ address: 'info@example.org', targets: ['ivanov@example.org'] }],
    toml: `[queue]\nremote_port = ${remote.port}\n`,
  });
  await srv.store.updateAccount('ivanov@example.org', { sendAs: ['ivan@sendas.test'] });
  return {
    srv,
    dns,
    remote,
    async close() {
      await srv.close();
      await remote.close();
      await dns.close();
    },
  };
}

/** A raw session on the 587 listener, after STARTTLS and the second EHLO; the EHLO reply is returned too. */
export async function tlsSession(b: Bench): Promise<{ c: RawClient; ehlo: Reply }> {
  const c = await RawClient.connect(b.srv.port('submission', 0));
  await greetAndEhlo(c);
  const r = await c.cmd('STARTTLS');
  if (r.code !== 220) throw new Error(`STARTTLS: ${r.text}`);
  await c.upgrade(b.srv.ca);
  const ehlo = await c.cmd('EHLO client.example');
  return { c, ehlo };
}

export function plain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString('base64');
}

/** STARTTLS + AUTH PLAIN as `user`. */
export async function authedSession(b: Bench, user = 'ivanov@example.org', password = PASSWORD): Promise<RawClient> {
  const { c } = await tlsSession(b);
  const r = await c.cmd(`AUTH PLAIN ${plain(user, password)}`);
  if (r.code !== 235) throw new Error(`AUTH: ${r.text}`);
  return c;
}

/** mailauth's dkimVerify with the fake DNS as its resolver. */
export async function verifyDkim(dns: FakeDns, message: Buffer): Promise<Array<{ domain: string; selector: string; result: string }>> {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([dns.server]);
  const res = await dkimVerify(message, { resolver: (name: string, rr: string) => r.resolve(name, rr as 'TXT') } as never);
  return res.results.map((x) => ({ domain: String(x.signingDomain), selector: String(x.selector), result: String(x.status?.result) }));
}
