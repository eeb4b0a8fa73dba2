import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, TransportError } from '../../../collectors/transport.ts';

// Regression: the transport listened for the client's errors with `once`, and ssh2 can emit
// two — a handshake that timed out, then its socket going away. The second had no listener
// and ended the process (seen in the scale benchmarks with slow simulated hosts).
describe('a host that accepts the connection but never speaks SSH', () => {
  let server: net.Server | undefined;
  afterEach(() => server?.close());

  it('fails the connection with a timeout, and a later socket error does not crash us', async () => {
    const sockets: net.Socket[] = [];
    server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const attempt = connect(
      {
        address: '127.0.0.1',
        port,
        username: 'nobody',
        auth: { type: 'password', password: 'x' },
        hostKeyPolicy: 'off',
        knownHostKey: null,
      },
      { connectTimeoutMs: 150, signal: new AbortController().signal },
    );
    await expect(attempt).rejects.toBeInstanceOf(TransportError);
    await expect(attempt).rejects.toThrow('timed out');
    for (const socket of sockets) socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a stray error would land here
  });
});
