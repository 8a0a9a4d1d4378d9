// Per-path retries (passOutcome.ts) on the loop with a fake clock: a path handed to a pass that cannot run yet is not
// waited for again. Found by the engine simulator (SIM_SEED=35, with the server forgetting its feed).
import assert from 'node:assert/strict';
import { EngineState } from '../../src/sync/engineState';
import { armRetryLater } from '../../src/sync/passOutcome';
import { FakeClock } from '../sim/fakeClock';

function engineState(clock: FakeClock): EngineState {
  const s = new EngineState({
    folder: '/nowhere',
    stateDir: '/nowhere/state',
    session: { serverUrl: 'http://127.0.0.1:9', getAccessToken: async () => ({ accessToken: 't', dataServerUrl: 'http://127.0.0.1:9' }) },
    clock,
  });
  s.started = true;
  return s;
}

describe('per-path retries', () => {
  it('hands a due path to a pass once, and does not spin while that pass cannot run (paused, no server tree yet)', async () => {
    const clock = new FakeClock(0);
    const s = engineState(clock);
    let asked = 0;
    s.schedule = () => void asked++; // the incremental pass returns at once while paused
    s.paused = true;
    s.retryLater.set('x', { attempts: 1, at: 1_000, reason: new Error('cut') });
    armRetryLater(s);
    await clock.advance(10_000);
    assert.deepEqual([...s.dirtyPlan], ['x']);
    assert.equal(asked, 1);
    assert.equal(clock.fired, 1, `the retry timer fired ${clock.fired} times in 10 s`);
  });

  it('still waits for the paths not due yet', async () => {
    const clock = new FakeClock(0);
    const s = engineState(clock);
    s.retryLater.set('x', { attempts: 1, at: 1_000, reason: 'cut' });
    s.retryLater.set('y', { attempts: 3, at: 5_000, reason: 'cut' });
    armRetryLater(s);
    await clock.advance(1_000);
    assert.deepEqual([...s.dirtyPlan], ['x']);
    await clock.advance(4_000);
    assert.deepEqual([...s.dirtyPlan].sort(), ['x', 'y']);
    assert.equal(clock.fired, 2);
  });
});
