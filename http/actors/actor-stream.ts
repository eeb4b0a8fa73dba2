// The SSE feed of actor transitions. Events wait in a bounded queue: a client that reads
// too slowly is told so and disconnected rather than growing the server's memory, and a
// comment line every 15 s keeps proxies from closing an idle stream.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../env.ts';
import type { ActorTransition, HostControl } from '../host-control.ts';

const MAX_QUEUED = 1000;
const KEEPALIVE_MS = 15_000;

export function actorStream(c: Context<AppEnv>, control: HostControl): Response {
  return streamSSE(c, async (stream) => {
    const queue: ActorTransition[] = [];
    let overflow = false;
    let closed = false;
    let wake: (() => void) | undefined;
    const unsubscribe = control.subscribe((transition) => {
      if (queue.length >= MAX_QUEUED) overflow = true;
      else queue.push(transition);
      wake?.();
    });
    stream.onAbort(() => {
      closed = true;
      wake?.();
    });
    let seq = 0;
    try {
      await stream.writeSSE({ event: 'ready', data: '{}' });
      while (!closed && !overflow) {
        const next = queue.shift();
        if (next) {
          await stream.writeSSE({
            event: 'transition',
            data: JSON.stringify(next),
            id: `${++seq}`,
          });
          continue;
        }
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (timedOut && !closed) await stream.write(': keep-alive\n\n');
      }
      if (overflow && !closed) {
        await stream.writeSSE({
          event: 'overflow',
          data: '{"reason":"the client reads too slowly"}',
        });
      }
    } finally {
      unsubscribe();
    }
  });
}
