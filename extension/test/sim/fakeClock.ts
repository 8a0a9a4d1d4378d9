// A clock that moves only when told: timers fire in time order (ties in the order they were set), so a run is the same every time.
import type { Clock, Timer } from '../../src/sync/clock';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];
  /** How many timers have fired. */
  fired = 0;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    // As Node's timers: a timer set for 0 ms fires 1 ms later, so one re-armed at once cannot hold the time still.
    const p: Pending = { at: this.t + Math.max(1, ms), seq: this.seq++, fn };
    this.pending.push(p);
    return { cancel: () => (this.pending = this.pending.filter((x) => x !== p)) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        timer.cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.after(ms, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** How many timers are waiting. */
  get timerCount(): number {
    return this.pending.length;
  }

  /** When the next timer fires, or undefined. */
  nextAt(): number | undefined {
    return this.next()?.at;
  }

  /** Fires the next timer (moving the time to it) and lets what it started run as far as it can; false when none is set. */
  async fireNext(): Promise<boolean> {
    const p = this.next();
    if (!p) return false;
    this.pending = this.pending.filter((x) => x !== p);
    this.t = Math.max(this.t, p.at);
    this.fired++;
    p.fn();
    await settle();
    return true;
  }

  /** Moves the time on by `ms`, firing every timer due meanwhile in order. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle();
    for (let p = this.next(); p && p.at <= until; p = this.next()) await this.fireNext();
    this.t = until;
    await settle();
  }

  private next(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.pending) if (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq)) best = p;
    return best;
  }
}

/** Lets every promise that can settle without the clock or IO settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
