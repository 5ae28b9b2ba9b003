/**
 * Serves one protocol factory's service on an ephemeral loopback port with deps the test builds itself (a
 * throttle with short delays, a login hook), without the whole server of start-server.ts. close() drains the
 * service, then closes the listener.
 */
import net from 'node:net';
import type { Listener as ListenerConfig } from '../../src/config/index.js';
import type { ProtocolFactory, ServiceDeps } from '../../src/protocols/service.js';

export interface ServedService {
  port: number;
  close(): Promise<void>;
}

export async function serveService(factory: ProtocolFactory, listener: ListenerConfig, deps: ServiceDeps): Promise<ServedService> {
  const service = factory(listener, deps);
  const server = net.createServer((socket) =>
    service.handleConnection(socket, {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      secure: false,
      spec: { address: '127.0.0.1', port: 0, tls: 'none' },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      await service.close(new Date(Date.now() + 1000));
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
