// Per-path retries (passOutcome.ts) on the loop with a fake clock: a path handed to a pass that cannot run yet is not
// waited for again. Found by the engine simulator (SIM_SEED=35, with the server forgetting its feed).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineState } from '../../src/sync/engineState';
import { armRetryLater, retryAllNow } from '../../src/sync/passOutcome';
import { reconcile } from '../../src/sync/passes';
import { SyncedIndex } from '../../src/sync/syncedIndex';
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

  it('a full pass plans every waiting path, so one that no tree holds any more leaves the list (SIM_SEED=265180578)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retry-later-'));
    try {
      const clock = new FakeClock(0);
      const s = engineState(clock);
      s.index = SyncedIndex.open(dir);
      s.passOwed = false;
      // Its download's answer was lost, then the file went on the server: not here, not there, never synced.
      s.retryLater.set('a/x', { attempts: 2, at: 3_000, reason: new Error('cut') });
      retryAllNow(s);
      await reconcile(s, new Set());
      assert.deepEqual([...s.retryLater.keys()], []);
      assert.equal(s.current.kind, 'upToDate');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
