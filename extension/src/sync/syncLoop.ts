// The engine's one loop: every step that reads or changes the sync state (a pass, a command, a timer's
// work) runs here, one at a time, in the order asked; the loop owns the timers, so a fake Clock drives it all.
import type { Clock, Timer } from './clock';

type Step = () => Promise<void>;

export class SyncLoop {
  private chain: Promise<unknown> = Promise.resolve();
  /** Steps asked for under a key and not started yet: asking again joins them rather than queueing a second. */
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, Timer>();
  private stopped = false;
  private queued = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly clock: Clock,
    /** Told about a requested step's or timer step's failure (run() hands it to its caller instead). */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Runs `step` once every step before it has finished (whether it failed or not); its result is the caller's. */
  run<T>(step: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.chain.then(step, step).finally(() => {
      this.queued--;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** How many steps are queued or running (0: the loop is idle until a timer fires or something asks). */
  get pending(): number {
    return this.queued;
  }

  /**
   * Asks for `step` under `key`: queued unless the same key is already queued and not started (then that
   * one covers this ask too). Failures go to onError. Nothing is queued once the loop stopped.
   */
  request(key: string, step: Step): Promise<void> {
    const queued = this.waiting.get(key);
    if (queued) return queued;
    if (this.stopped) return Promise.resolve();
    const run = this.run(async () => {
      this.waiting.delete(key);
      await step();
    }).catch((err: unknown) => this.onError(err));
    this.waiting.set(key, run);
    return run;
  }

  /** After `ms`, `step` is requested under `key`; arming a key again replaces its timer. */
  after(key: string, ms: number, step: Step): void {
    this.cancel(key);
    if (this.stopped) return;
    this.timers.set(
      key,
      this.clock.after(ms, () => {
        this.timers.delete(key);
        void this.request(key, step);
      }),
    );
  }

  /** Whether a timer is armed under `key`. */
  armed(key: string): boolean {
    return this.timers.has(key);
  }

  cancel(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  /** Cancels every timer and takes no more requests (run() still runs, for the last steps of a stop). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Resolves once the next step has finished, or at once when `signal` aborts: for a follower waiting on state
   * that only steps change (a cursor, the end of an outage), instead of polling it.
   */
  stepDone(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Resolves once every step asked for so far has finished. */
  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }
}
