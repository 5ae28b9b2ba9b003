/**
 * smtp.greet_pause_ms: with a pause, a client that talks before the 220 greeting is refused (postscreen's
 * pregreet test); without one (the default) the greeting comes first and a pipelining-happy client is served.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type TestServer } from '../../helpers/start-server.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** Connects, writes EHLO at once (before any greeting), and collects what the server says until it closes. */
function talkFirst(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let got = '';
    let ended = false;
    s.on('connect', () => s.write('EHLO early.example\r\n'));
    s.on('data', (d) => {
      got += d.toString();
      if (!ended && /^250 /m.test(got)) {
        ended = true;
        s.end('QUIT\r\n');
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy());
  });
}

test('a client that talks during the greet pause is refused with 421', async () => {
  const srv = await startServer({ listeners: [{ protocol: 'smtp', tls: 'none' }], toml: '[smtp]\ngreet_pause_ms = 1000\n' });
  servers.push(srv);
  const reply = await talkFirst(srv.port('smtp'));
  assert.match(reply, /^421 .*too soon/m);
  assert.doesNotMatch(reply, /^220 /m);
});

test('without a pause (the default) the greeting comes first and the session goes on', async () => {
  const srv = await startServer({ listeners: [{ protocol: 'smtp', tls: 'none' }] });
  servers.push(srv);
  const reply = await talkFirst(srv.port('smtp'));
  assert.match(reply, /^220 /);
  assert.match(reply, /^250 /m);
});
