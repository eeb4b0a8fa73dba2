// What a command reads and writes, handed in rather than taken from `process`, so that tests
// run commands in-process and read what they printed; and the error for bad input, which
// main.ts prints as one line (exit 1). Used by the hosts, export and probe commands.

export interface TextSink {
  write(text: string): unknown;
}

/** stderr: progress is drawn in place only on a terminal. */
export interface TerminalSink extends TextSink {
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: TextSink;
  stderr: TerminalSink;
  /** The whole of standard input (secrets are given there, never as arguments). */
  readStdin(): Promise<string>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** A secret read from stdin: one trailing newline (what `echo` and here-strings add) dropped. */
export async function readSecret(io: Io, what: string): Promise<string> {
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`${what}: standard input was empty`);
  return text;
}
