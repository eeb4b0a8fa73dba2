import { describe, expect, it } from 'vitest';
import { AuthenticationError, connect } from '../../../collectors/transport.ts';

// Regression: the agent check used to throw after the socket was opened, leaving it with no
// error listener; a refused connection then crashed the whole process.
describe('agent authentication without an agent', () => {
  it('fails with a clear error before connecting, and the process survives', async () => {
    const previous = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const attempt = connect(
        {
          address: '127.0.0.1',
          port: 1, // nothing listens there: the refused socket is what used to crash us
          username: 'nobody',
          auth: { type: 'agent' },
          hostKeyPolicy: 'off',
          knownHostKey: null,
        },
        { connectTimeoutMs: 2000, signal: new AbortController().signal },
      );
      await expect(attempt).rejects.toBeInstanceOf(AuthenticationError);
      await expect(attempt).rejects.toThrow('SSH_AUTH_SOCK');
      await new Promise((resolve) => setTimeout(resolve, 200)); // a stray socket error would land here
    } finally {
      if (previous !== undefined) process.env.SSH_AUTH_SOCK = previous;
    }
  });
});
