// The simulator on the real engine (engineDevice.ts, docs/sync.md): SIM_SEED=<seed> replays, SIM_PATH=<path> goes
// straight to the minimised case, SIM_ENGINE_RUNS sets the number of runs (the long mode: SIM_ENGINE_RUNS=100000).
import fc from 'fast-check';
import { engineScenarioArb, runEngineScenario, type Scenario } from './engineScenario';
import { EngineDevice } from './engineDevice';

const runs = Number(process.env.SIM_ENGINE_RUNS ?? 2_000);
const seed = process.env.SIM_SEED !== undefined ? Number(process.env.SIM_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const replayPath = process.env.SIM_PATH;

describe('sync simulator, the real engine', function () {
  this.timeout(0);
  after(() => EngineDevice.cleanUp());

  it(`keeps every device equal to the server and loses no content (${runs} runs, seed ${seed})`, async () => {
    console.log(`    engine simulator: ${runs} runs, SIM_SEED=${seed}`);
    await fc.assert(
      fc.asyncProperty(engineScenarioArb(Number(process.env.SIM_OPS ?? 60)), (sc) => runEngineScenario(sc)),
      { numRuns: runs, seed, ...(replayPath !== undefined ? { path: replayPath } : {}) },
    );
  });

  // Regressions: the minimised sequences of bugs the simulator found, replayed as they were.
  const found: [string, Scenario][] = [
    [
      // A download's answer lost (retry later), then the file deleted on the server: the path's retry came due with
      // nothing to do, was never taken off the list, and its timer fired at once for ever (status never up to date).
      'a path whose retry comes due with nothing left to do leaves the retry list (SIM_SEED=42)',
      {
        devices: 2,
        ops: [
          { k: 'write', d: 0, f: 'y' },
          { k: 'step', d: 0, n: 2 },
          { k: 'pick', d: 0, n: 4, pick: 0 },
          { k: 'step', d: 1, n: 2 },
          { k: 'step', d: 1, n: 3 },
          { k: 'rename', d: 1, f: 'y', to: 'a/c/x' },
          { k: 'drop', d: 0 },
          { k: 'step', d: 1, n: 3 },
          { k: 'pick', d: 1, n: 1, pick: 0 },
          { k: 'step', d: 1, n: 1 },
          { k: 'delete', d: 1, f: 'a/c/x' },
        ],
      },
    ],
  ];
  for (const [name, sc] of found) it(name, () => runEngineScenario(sc));
});
