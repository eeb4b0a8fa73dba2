// The probe concurrency limit: at most `global` probes at once in this process, and at most
// `perGroup` at once among hosts sharing a group (e.g. one hypervisor), so a fleet's probes
// queue instead of stampeding. Waiters are served in order, skipping those whose group is full
// (no head-of-line blocking), and leave the queue when their AbortSignal fires.

export interface LimiterStats {
  active: number;
  queued: number;
  /** The highest `active` ever seen: what tests assert against the limit. */
  maxActive: number;
}

interface Waiter {
  groups: readonly string[];
  grant: (release: () => void) => void;
  refuse: () => void;
}

export class ProbeLimiter {
  readonly #global: number;
  readonly #perGroup: number;
  #active = 0;
  #maxActive = 0;
  readonly #groupActive = new Map<string, number>();
  #queue: Waiter[] = [];
  #closed = false;

  constructor(limits: { global: number; perGroup: number }) {
    this.#global = limits.global;
    this.#perGroup = limits.perGroup;
  }

  stats(): LimiterStats {
    return { active: this.#active, queued: this.#queue.length, maxActive: this.#maxActive };
  }

  /** Shutdown: no probe gets a slot any more; those waiting are refused. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#queue.splice(0)) waiter.refuse();
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(groups: readonly string[], signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.#closed) return reject(new Error('the runner is shutting down'));
      const waiter: Waiter = {
        groups,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        refuse: () => {
          signal?.removeEventListener('abort', onAbort);
          reject(new Error('the runner is shutting down'));
        },
      };
      const onAbort = () => {
        this.#queue = this.#queue.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
      this.#drain();
    });
  }

  #fits(groups: readonly string[]): boolean {
    return (
      this.#active < this.#global &&
      groups.every((g) => (this.#groupActive.get(g) ?? 0) < this.#perGroup)
    );
  }

  #drain(): void {
    for (let i = 0; i < this.#queue.length && this.#active < this.#global; ) {
      const waiter = this.#queue[i] as Waiter;
      if (!this.#fits(waiter.groups)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#take(waiter.groups);
      let released = false;
      waiter.grant(() => {
        if (released) return;
        released = true;
        this.#give(waiter.groups);
        this.#drain();
      });
    }
  }

  #take(groups: readonly string[]): void {
    this.#active++;
    this.#maxActive = Math.max(this.#maxActive, this.#active);
    for (const g of groups) this.#groupActive.set(g, (this.#groupActive.get(g) ?? 0) + 1);
  }

  #give(groups: readonly string[]): void {
    this.#active--;
    for (const g of groups) {
      const n = (this.#groupActive.get(g) ?? 1) - 1;
      if (n === 0) this.#groupActive.delete(g);
      else this.#groupActive.set(g, n);
    }
  }
}
