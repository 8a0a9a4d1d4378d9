import assert from 'node:assert/strict';
import { SyncLoop } from '../../src/sync/syncLoop';
import { FakeClock, settle } from '../sim/fakeClock';

/** A step that waits until released, recording when it started and ended. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    step: async () => {
      log.push(`${name}:start`);
      await opened;
      log.push(`${name}:end`);
    },
    open: () => open(),
  };
}

describe('SyncLoop', () => {
  it('runs one step at a time, in the order asked', async () => {
    const loop = new SyncLoop(new FakeClock());
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const ra = loop.run(a.step);
    const rb = loop.run(b.step);
    await settle();
    assert.deepEqual(log, ['a:start']);
    assert.equal(loop.pending, 2);
    b.open(); // b may not start before a ends, even when it could finish at once
    await settle();
    assert.deepEqual(log, ['a:start']);
    a.open();
    await Promise.all([ra, rb]);
    assert.deepEqual(log, ['a:start', 'a:end', 'b:start', 'b:end']);
    assert.equal(loop.pending, 0);
  });

  it("hands a run's result and failure to its caller, and runs the next step after a failure", async () => {
    const loop = new SyncLoop(new FakeClock());
    await assert.rejects(
      loop.run(async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await loop.run(async () => 42), 42);
  });

  it('joins a request to the same one still waiting; one asked while its step runs is queued again', async () => {
    const loop = new SyncLoop(new FakeClock());
    const log: string[] = [];
    const first = gate(log, 'busy');
    void loop.run(first.step);
    let passes = 0;
    const pass = async () => {
      passes++;
    };
    const r1 = loop.request('pass', pass);
    const r2 = loop.request('pass', pass);
    assert.equal(r1, r2);
    first.open();
    await r1;
    assert.equal(passes, 1);
    // While the pass runs, a new ask is a new step (what it asks for may have come after the pass looked).
    let again: Promise<void> | undefined;
    await loop.request('pass', async () => {
      passes++;
      again = loop.request('pass', pass);
    });
    await again;
    assert.equal(passes, 3);
  });

  it("sends a requested step's failure to onError, not to the caller", async () => {
    const errors: unknown[] = [];
    const loop = new SyncLoop(new FakeClock(), (err) => errors.push(err));
    await loop.request('x', async () => {
      throw new Error('offline');
    });
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /offline/);
  });

  it('runs a timer step through the queue when the clock reaches it, and a re-armed timer only once', async () => {
    const clock = new FakeClock();
    const loop = new SyncLoop(clock);
    const log: string[] = [];
    loop.after('retry', 1000, async () => void log.push(`retry@${clock.now()}`));
    loop.after('retry', 500, async () => void log.push(`retry2@${clock.now()}`));
    assert.equal(loop.armed('retry'), true);
    const busy = gate(log, 'busy');
    void loop.run(busy.step);
    await clock.advance(499);
    assert.deepEqual(log, ['busy:start']);
    await clock.advance(1);
    // Due, but the running step holds the loop: it waits its turn.
    assert.deepEqual(log, ['busy:start']);
    assert.equal(loop.armed('retry'), false);
    busy.open();
    await loop.idle();
    assert.deepEqual(log, ['busy:start', 'busy:end', `retry2@${clock.now()}`]);
    await clock.advance(10_000);
    assert.equal(log.length, 3);
  });

  it('cancels a timer, and after stop() arms none and takes no requests, while run() still runs', async () => {
    const clock = new FakeClock();
    const loop = new SyncLoop(clock);
    let fired = 0;
    loop.after('a', 10, async () => void fired++);
    loop.cancel('a');
    loop.after('b', 10, async () => void fired++);
    loop.stop();
    loop.after('c', 10, async () => void fired++);
    await loop.request('d', async () => void fired++);
    await clock.advance(100);
    assert.equal(fired, 0);
    assert.equal(clock.timerCount, 0);
    assert.equal(await loop.run(async () => 'last'), 'last');
  });
});

describe('SyncLoop.stepDone', () => {
  it('wakes a waiter when the next step ends (not before), and at once when its signal aborts', async () => {
    const loop = new SyncLoop(new FakeClock());
    const log: string[] = [];
    const woke: string[] = [];
    void loop.stepDone().then(() => woke.push('first'));
    const abort = new AbortController();
    void loop.stepDone(abort.signal).then(() => woke.push('aborted'));
    abort.abort();
    await settle();
    assert.deepEqual(woke, ['aborted']);
    const a = gate(log, 'a');
    void loop.run(a.step);
    await settle();
    assert.deepEqual(woke, ['aborted']);
    a.open();
    await loop.idle();
    await settle();
    assert.deepEqual(woke, ['aborted', 'first']);
  });
});

describe('FakeClock', () => {
  it('wakes a sleep when its time comes, or at once when aborted, and leaves no timer behind', async () => {
    const clock = new FakeClock(0);
    const woke: string[] = [];
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
    const abort = new AbortController();
    void clock.sleep(1_000_000, abort.signal).then(() => woke.push(`b@${clock.now()}`));
    await clock.advance(99);
    assert.deepEqual(woke, []);
    await clock.advance(1);
    assert.deepEqual(woke, ['a@100']);
    abort.abort();
    await settle();
    assert.deepEqual(woke, ['a@100', 'b@100']);
    assert.equal(clock.timerCount, 0);
  });
});
