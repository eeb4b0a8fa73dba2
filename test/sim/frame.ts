// The probe's output format, as the script's run() and its final loop print it:
//   <B> begin <id>\n<stdout>\n<B> end <rc> <stderrBytes> <t0> <t1>\n<stderr tail>\n<B> tail\n
// for each section in script order, then `<B> done\n`.

export interface Answer {
  stdout: string | Buffer;
  /** Exit status of the section's command. */
  rc: number;
  stderr: string;
}

export interface Timing {
  /** /proc/uptime readings before and after the command; null where the host has none. */
  t0: number | null;
  t1: number | null;
}

const uptime = (value: number | null) => (value === null ? '-' : value.toFixed(2));

export function sectionHead(boundary: string, id: string): Buffer {
  return Buffer.from(`${boundary} begin ${id}\n`);
}

/** Everything after the section's stdout: the trailer with status and the stderr tail. */
export function sectionTrailer(
  boundary: string,
  answer: Pick<Answer, 'rc' | 'stderr'>,
  timing: Timing,
  stderrTailBytes: number,
): Buffer {
  const stderr = Buffer.from(answer.stderr);
  const tail = stderr.subarray(Math.max(0, stderr.length - stderrTailBytes));
  return Buffer.concat([
    Buffer.from(
      `\n${boundary} end ${answer.rc} ${stderr.length} ${uptime(timing.t0)} ${uptime(timing.t1)}\n`,
    ),
    tail,
    Buffer.from(`\n${boundary} tail\n`),
  ]);
}

export function frameSection(
  boundary: string,
  id: string,
  answer: Answer,
  timing: Timing,
  stderrTailBytes: number,
): Buffer {
  return Buffer.concat([
    sectionHead(boundary, id),
    typeof answer.stdout === 'string' ? Buffer.from(answer.stdout) : answer.stdout,
    sectionTrailer(boundary, answer, timing, stderrTailBytes),
  ]);
}

export function frameDone(boundary: string): Buffer {
  return Buffer.from(`${boundary} done\n`);
}
