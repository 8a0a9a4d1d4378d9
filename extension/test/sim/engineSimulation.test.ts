// The simulator on the real engine (engineDevice.ts, docs/sync.md): SIM_SEED=<seed> replays, SIM_PATH=<path> goes
// straight to the minimised case, SIM_ENGINE_RUNS sets the number of runs (the long mode: SIM_ENGINE_RUNS=100000).
import fc from 'fast-check';
import { engineScenarioArb, runEngineScenario, type Scenario } from './engineScenario';
import { EngineDevice } from './engineDevice';

const runs = Number(process.env.SIM_ENGINE_RUNS ?? 10_000);
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
    [
      // A full pass's listing (y present) answered after the feed had applied y's delete: the listing brought y back and
      // the feed replayed from its cursor dropped the delete as already known (the tombstone); y lived on at d1.
      'a delete the feed brought while a listing was on its way stays a delete (SIM_SEED=2)',
      {
        devices: 3,
        ops: [
          { k: 'write', d: 2, f: 'y' },
          { k: 'pick', d: 1, n: 1, pick: 3 },
          { k: 'write', d: 0, f: 'b/x' },
          { k: 'step', d: 0, n: 4 },
          { k: 'pick', d: 0, n: 2, pick: 0 },
          { k: 'step', d: 2, n: 3 },
          { k: 'drop', d: 1 },
          { k: 'step', d: 2, n: 2 },
          { k: 'write', d: 1, f: 'b/x' },
          { k: 'step', d: 1, n: 1 },
          { k: 'step', d: 1, n: 2 },
          { k: 'pick', d: 2, n: 1, pick: 0 },
          { k: 'pick', d: 1, n: 4, pick: 0 },
          { k: 'step', d: 1, n: 4 },
          { k: 'rename', d: 2, f: 'y', to: 'x' },
          { k: 'tick' },
        ],
      },
    ],
    [
      // Restarted while the server was away: the first full pass failed, and an incremental pass for a file the person
      // deleted planned against the empty server tree, recorded "gone on both sides" and never sent the delete.
      'a delete made before the first full pass after a start is sent, not recorded as agreed (SIM_SEED=3)',
      {
        devices: 3,
        ops: [
          { k: 'write', d: 1, f: 'a/x' },
          { k: 'step', d: 1, n: 4 },
          { k: 'step', d: 1, n: 2 },
          { k: 'step', d: 0, n: 2 },
          { k: 'step', d: 0, n: 3 },
          { k: 'crash', d: 0 },
          { k: 'delete', d: 0, f: 'a/x' },
          { k: 'drop', d: 0 },
        ],
      },
    ],
    [
      // A download below a name the person had just made a file: refused as if written through a link, the path below
      // was left out of every plan, the planner never moved the file aside, and its upload was refused for ever.
      'a download below a name that became a file meanwhile is replanned, the file kept beside (SIM_SEED=1, file/folder names)',
      {
        devices: 3,
        ops: [
          { k: 'write', d: 2, f: 'a/c/x' },
          { k: 'step', d: 2, n: 1 },
          { k: 'pick', d: 0, n: 3, pick: 0 },
          { k: 'step', d: 2, n: 5 },
          { k: 'feed', d: 0, hold: false },
          { k: 'write', d: 0, f: 'a/c' },
        ],
      },
    ],
    [
      // A file uploaded as "a/c" (its answer lost) was renamed into a folder "a/c" here: the retry planned a/c alone,
      // its download found the folder, and the files below never joined the plan that would put the server's file aside.
      'a download that finds a folder at the name brings the files below into the plan (SIM_SEED=1, file/folder names)',
      {
        devices: 2,
        ops: [
          { k: 'write', d: 0, f: 'x' },
          { k: 'write', d: 0, f: 'b/x' },
          { k: 'rename', d: 0, f: 'x', to: 'a/c' },
          { k: 'step', d: 0, n: 2 },
          { k: 'drop', d: 0 },
          { k: 'pick', d: 0, n: 3, pick: 0 },
          { k: 'rename', d: 0, f: 'a/c', to: 'a/c/x' },
        ],
      },
    ],
    [
      // A file here and a folder there under one name took every round of a pass; cut short, the pass forgot the
      // conflicted copy it had made and the folder's file it held back, and said up to date.
      'a pass cut short after its rounds hands what it held to the next pass (SIM_SEED=1, status checked)',
      {
        devices: 2,
        ops: [
          { k: 'write', d: 0, f: 'a' },
          { k: 'write', d: 1, f: 'a' },
          { k: 'step', d: 0, n: 5 },
          { k: 'pick', d: 1, n: 3, pick: 0 },
          { k: 'step', d: 1, n: 3 },
          { k: 'step', d: 0, n: 6 },
          { k: 'write', d: 0, f: 'a' },
          { k: 'write', d: 1, f: 'a/c' },
          { k: 'step', d: 1, n: 1 },
          { k: 'pick', d: 1, n: 1, pick: 0 },
          { k: 'step', d: 0, n: 3 },
        ],
      },
    ],
    [
      // A file below a name that was a file on the server waited for that file's delete, due only later; the pass that
      // deleted it planned the name alone, and the file below was never uploaded (status up to date).
      'a file held back until a name clears is planned with the step that clears it (SIM_SEED=3, status checked)',
      {
        devices: 2,
        ops: [
          { k: 'step', d: 0, n: 3 },
          { k: 'write', d: 0, f: 'x' },
          { k: 'write', d: 0, f: 'y' },
          { k: 'step', d: 0, n: 4 },
          { k: 'rename', d: 0, f: 'x', to: 'a/c' },
          { k: 'pick', d: 0, n: 1, pick: 0 },
          { k: 'write', d: 1, f: 'a' },
          { k: 'step', d: 1, n: 2 },
          { k: 'step', d: 0, n: 1 },
          { k: 'pick', d: 0, n: 2, pick: 0 },
          { k: 'pick', d: 1, n: 1, pick: 0 },
          { k: 'step', d: 1, n: 1 },
          { k: 'pick', d: 1, n: 3, pick: 0 },
          { k: 'pick', d: 0, n: 4, pick: 0 },
          { k: 'step', d: 0, n: 2 },
          { k: 'write', d: 0, f: 'a/c/x' },
        ],
      },
    ],
    [
      // A download lost twice (the second time with nothing else answered: offline), then the file renamed away on the
      // server: the full pass that followed set the path's retry due but planned only paths some tree held, so the path
      // stayed on the retry list for ever (status syncing, retryAt 0, no timer).
      'a waiting path that no tree holds any more leaves the retry list at the next full pass (SIM_SEED=265180578)',
      {
        devices: 2,
        ops: [
          { k: 'web', f: 'a/x', del: false },
          { k: 'write', d: 1, f: 'x' },
          { k: 'pick', d: 1, n: 1, pick: 1 },
          { k: 'step', d: 0, n: 5 },
          { k: 'drop', d: 1 },
          { k: 'pick', d: 1, n: 1, pick: 0 },
          { k: 'rename', d: 0, f: 'a/x', to: 'x' },
          { k: 'pick', d: 1, n: 4, pick: 0 },
          { k: 'pick', d: 1, n: 3, pick: 0 },
          { k: 'drop', d: 1 },
          { k: 'tick' },
        ],
      },
    ],
    [
      // A feed poll sent from the newest cursor was answered (nothing new) after a full pass's older listing had reset the
      // tree and the cursor: the answer moved the cursor past another device's file the listing did not hold yet, so
      // that file never came down (status up to date).
      'a feed answer for a cursor a listing replaced meanwhile is dropped (SIM_SEED=1923462927)',
      {
        devices: 3,
        ops: [
          { k: 'step', d: 2, n: 1 },
          { k: 'step', d: 0, n: 3 },
          { k: 'write', d: 0, f: 'x' },
          { k: 'write', d: 2, f: 'x' },
          { k: 'rename', d: 2, f: 'x', to: 'a/x' },
          { k: 'pause', d: 2 },
          { k: 'resume', d: 2 },
          { k: 'pick', d: 0, n: 1, pick: 0 },
          { k: 'step', d: 2, n: 5 },
          { k: 'pick', d: 2, n: 3, pick: 0 },
          { k: 'pick', d: 0, n: 2, pick: 0 },
          { k: 'feed', d: 2, hold: false },
          { k: 'feed', d: 2, hold: true },
          { k: 'step', d: 2, n: 1 },
        ],
      },
    ],
  ];
  for (const [name, sc] of found) it(name, () => runEngineScenario(sc));
});
