// Collects items (metric rows) from many host probes and writes them in one statement every
// `intervalMs` or when `maxItems` are waiting: batched across hosts, which is what makes
// metrics ingest cheap (DESIGN §8). A failed write is retried with the next batch, up to
// `maxItems * 4` items; beyond that the oldest are dropped and counted, never kept unbounded.
// A write that stored part of its batch says what is left with PartialWriteError: only that is
// retried, so nothing is written twice.

export interface BatcherStats {
  pending: number;
  written: number;
  dropped: number;
  failures: number;
  lastError: string | null;
}

/** Thrown by a write that stored part of its batch: `left` (at most as many items) is retried. */
export class PartialWriteError<T> extends Error {
  override readonly name = 'PartialWriteError';
  constructor(
    message: string,
    readonly left: readonly T[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class Batcher<T> {
  readonly #write: (items: T[]) => Promise<void>;
  readonly #maxItems: number;
  readonly #timer: NodeJS.Timeout;
  #pending: T[] = [];
  #flushing: Promise<void> | null = null;
  readonly #stats: BatcherStats = {
    pending: 0,
    written: 0,
    dropped: 0,
    failures: 0,
    lastError: null,
  };

  constructor(
    write: (items: T[]) => Promise<void>,
    options: { intervalMs: number; maxItems: number },
  ) {
    this.#write = write;
    this.#maxItems = options.maxItems;
    this.#timer = setInterval(() => void this.flush(), options.intervalMs);
    this.#timer.unref();
  }

  add(items: readonly T[]): void {
    this.#pending.push(...items);
    this.#bound();
    if (this.#pending.length >= this.#maxItems) void this.flush();
  }

  #bound(): void {
    const overflow = this.#pending.length - this.#maxItems * 4;
    if (overflow > 0) {
      this.#pending.splice(0, overflow);
      this.#stats.dropped += overflow;
    }
  }

  stats(): BatcherStats {
    return { ...this.#stats, pending: this.#pending.length };
  }

  /** Writes what is pending; concurrent calls share one write. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#pending.length === 0) return Promise.resolve();
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#write(batch)
      .then(
        () => {
          this.#stats.written += batch.length;
        },
        (error: unknown) => {
          this.#stats.failures++;
          this.#stats.lastError = error instanceof Error ? error.message : String(error);
          const retry = error instanceof PartialWriteError ? (error.left as T[]) : batch;
          this.#pending = retry.concat(this.#pending); // retried with the next flush
          this.#bound();
        },
      )
      .finally(() => {
        this.#flushing = null;
      });
    return this.#flushing;
  }

  /** Stops the timer and writes what is left (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
