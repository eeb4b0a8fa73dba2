// The housekeeping actor: every `intervalMs` it rolls up metrics and enforces retention.
//   waiting  until the next run is due (the first run comes shortly after start)
//   running  the invoked `housekeeping` promise; a failure is logged by the caller and the
//            next run is simply tried at the next interval — nothing is retried in a loop.
import { assign, fromPromise, setup } from 'xstate';

export interface RetentionInput {
  intervalMs: number;
  firstRunMs: number;
}

export const retentionMachine = setup({
  types: {
    input: {} as RetentionInput,
    context: {} as RetentionInput & { runs: number; lastError: string | null },
  },
  actors: {
    housekeeping: fromPromise<void>(async () => {
      throw new Error('housekeeping actor not provided');
    }),
  },
  delays: {
    next: ({ context }) => (context.runs === 0 ? context.firstRunMs : context.intervalMs),
  },
}).createMachine({
  id: 'retention',
  context: ({ input }) => ({ ...input, runs: 0, lastError: null }),
  initial: 'waiting',
  states: {
    waiting: { after: { next: 'running' } },
    running: {
      invoke: {
        src: 'housekeeping',
        onDone: {
          target: 'waiting',
          actions: assign({ runs: ({ context }) => context.runs + 1, lastError: null }),
        },
        onError: {
          target: 'waiting',
          actions: assign({
            runs: ({ context }) => context.runs + 1,
            lastError: ({ event }) => String(event.error),
          }),
        },
      },
    },
  },
});
