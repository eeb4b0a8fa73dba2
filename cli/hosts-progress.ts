// Progress of an operation over many hosts (an import, a fleet-wide probe) on stderr, so that
// stdout stays for results: one line redrawn in place when stderr is a terminal, a plain line
// every few seconds otherwise (logs, CI), and a summary line at the end.
import type { TerminalSink } from './hosts-io.ts';

export interface ProgressCounts {
  done: number;
  total: number;
  ok: number;
  failed: number;
  elapsedMs: number;
}

export interface ProgressOptions {
  /** What is being done, e.g. "probing": "probing 3/40 hosts: …". */
  verb: string;
  total: number;
  stream: TerminalSink;
  now?: () => number;
  /** Terminal: how often the line is redrawn at most, and refreshed when nothing happens. */
  redrawMs?: number;
  /** Not a terminal: how often a plain line is written. */
  plainEveryMs?: number;
}

const CLEAR_LINE = '\r\x1b[K';

/** 0.4 s, 12 s, 3 min 05 s. */
export function formatElapsed(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

export function formatProgress(verb: string, c: ProgressCounts): string {
  return `${verb} ${c.done}/${c.total} hosts: ${c.ok} ok, ${c.failed} failed, ${formatElapsed(c.elapsedMs)}`;
}

export class Progress {
  readonly #options: Required<Omit<ProgressOptions, 'now'>> & { now: () => number };
  readonly #started: number;
  readonly #timer: NodeJS.Timeout;
  #ok = 0;
  #failed = 0;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #finished = false;

  constructor(options: ProgressOptions) {
    this.#options = {
      now: Date.now,
      redrawMs: 100,
      plainEveryMs: 5_000,
      ...options,
    };
    this.#started = this.#options.now();
    const tty = this.#tty();
    this.#timer = setInterval(
      () => (tty ? this.#draw(true) : this.#plain()),
      tty ? 1_000 : this.#options.plainEveryMs,
    );
    this.#timer.unref();
    if (tty) this.#draw(true);
  }

  counts(): ProgressCounts {
    return {
      done: this.#ok + this.#failed,
      total: this.#options.total,
      ok: this.#ok,
      failed: this.#failed,
      elapsedMs: this.#options.now() - this.#started,
    };
  }

  succeeded(): void {
    this.#ok++;
    this.#draw(false);
  }

  /** Counts a failure; `line` (e.g. "web1: connection refused") is printed above the progress. */
  failed(line?: string): void {
    this.#failed++;
    if (line !== undefined) this.note(line);
    else this.#draw(false);
  }

  /** A line of its own, kept above the redrawn progress line. */
  note(line: string): void {
    if (this.#tty() && !this.#finished) {
      this.#options.stream.write(`${CLEAR_LINE}${line}\n`);
      this.#draw(true);
    } else {
      this.#options.stream.write(`${line}\n`);
    }
  }

  /** Stops redrawing, clears the progress line and writes `summary` (when given) in its place. */
  finish(summary?: string): ProgressCounts {
    clearInterval(this.#timer);
    if (this.#tty() && !this.#finished) this.#options.stream.write(CLEAR_LINE);
    this.#finished = true;
    if (summary !== undefined) this.#options.stream.write(`${summary}\n`);
    return this.counts();
  }

  #tty(): boolean {
    return this.#options.stream.isTTY === true;
  }

  #draw(force: boolean): void {
    if (!this.#tty() || this.#finished) return;
    const now = this.#options.now();
    const counts = this.counts();
    if (!force && counts.done < counts.total && now - this.#lastDraw < this.#options.redrawMs) {
      return;
    }
    this.#lastDraw = now;
    // A line longer than the terminal would wrap, and \r would redraw only its last part.
    const width = Math.max(20, (this.#options.stream.columns || 80) - 1);
    const line = formatProgress(this.#options.verb, counts).slice(0, width);
    this.#options.stream.write(`${CLEAR_LINE}${line}`);
  }

  #plain(): void {
    if (this.#finished) return;
    this.#options.stream.write(`${formatProgress(this.#options.verb, this.counts())}\n`);
  }
}
