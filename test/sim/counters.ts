// /proc counters that grow with the host's uptime, so that two probes give computable rates.
// Each counter of a recorded sample is read as an average rate since boot (value / uptime of
// the recording) and served as rate × the simulated host's uptime: monotonic, never reset,
// and the same shape as the recording. Gauges (procs_running, I/Os in flight…) stay as recorded.

type Piece = string | { value: number; counter: boolean };

export interface CounterTemplate {
  pieces: readonly Piece[];
}

/** Splits `text` into literal text and numbers; `isCounter(line, index)` classifies each number. */
function tokenize(
  text: string,
  numbersFrom: (line: string) => number,
  isCounter: (line: string, index: number) => boolean,
): CounterTemplate {
  const pieces: Piece[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    const start = numbersFrom(line);
    if (start < 0) {
      pieces.push(line);
      continue;
    }
    pieces.push(line.slice(0, start));
    let index = 0;
    for (const part of line.slice(start).split(/(\d+)/)) {
      if (/^\d+$/.test(part)) {
        pieces.push({ value: Number(part), counter: isCounter(line, index) });
        index++;
      } else if (part) pieces.push(part);
    }
  }
  return { pieces };
}

const STAT_COUNTERS = /^(cpu\d*|intr|ctxt|processes|softirq) /;

/** /proc/stat: cpu*, intr, ctxt, processes and softirq grow; btime is written per host. */
export function statTemplate(text: string): CounterTemplate {
  return tokenize(
    text,
    (line) => line.indexOf(' '),
    (line) => STAT_COUNTERS.test(line),
  );
}

/** /proc/net/dev: every number after `iface:` is a counter; the two header lines are kept. */
export function netdevTemplate(text: string): CounterTemplate {
  return tokenize(
    text,
    (line) => (line.includes('|') ? -1 : line.indexOf(':') + 1),
    () => true,
  );
}

/** /proc/diskstats: after `major minor name`, every field but I/Os in progress (the 9th). */
export function diskstatsTemplate(text: string): CounterTemplate {
  return tokenize(
    text,
    (line) => {
      const name = /^\s*\d+\s+\d+\s+\S+/.exec(line);
      return name ? name[0].length : -1;
    },
    (_line, index) => index !== 8,
  );
}

export interface CounterClock {
  /** Uptime of the simulated host, seconds. */
  uptime: number;
  /** Uptime of the machine the template was recorded on, seconds. */
  recordedUptime: number;
  /** Per-host activity factor (1 = as busy as the recorded machine). */
  factor: number;
}

export function renderCounters(template: CounterTemplate, clock: CounterClock): string {
  const scale = (clock.uptime / clock.recordedUptime) * clock.factor;
  let out = '';
  for (const piece of template.pieces) {
    if (typeof piece === 'string') out += piece;
    else out += piece.counter ? Math.floor(piece.value * scale) : piece.value;
  }
  return out;
}

/** btime (boot time, epoch seconds) consistent with the simulated uptime. */
export function withBootTime(stat: string, nowMs: number, uptime: number): string {
  return stat.replace(/^btime \d+$/m, `btime ${Math.floor(nowMs / 1000 - uptime)}`);
}

/** /proc/uptime: seconds up, and idle seconds summed over CPUs (scaled like the recording). */
export function renderUptime(recorded: string, uptime: number): string {
  const [up, idle] = recorded.trim().split(/\s+/).map(Number);
  if (up === undefined || idle === undefined || !(up > 0)) throw new Error('bad uptime recording');
  return `${uptime.toFixed(2)} ${((idle / up) * uptime).toFixed(2)}\n`;
}
