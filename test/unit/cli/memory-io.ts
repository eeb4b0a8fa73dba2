// An Io that keeps what a command printed, for running commands in-process.
import type { Io } from '../../../cli/hosts-io.ts';

export interface MemoryIo {
  io: Io;
  out(): string;
  err(): string;
}

export function memoryIo(
  options: { stdin?: string; tty?: boolean; columns?: number } = {},
): MemoryIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text) },
      stderr: {
        write: (text: string) => err.push(text),
        isTTY: options.tty ?? false,
        ...(options.columns !== undefined ? { columns: options.columns } : {}),
      },
      readStdin: async () => options.stdin ?? '',
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
