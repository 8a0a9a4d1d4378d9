// The deterministic simulator (docs/sync.md): SIM_SEED=<seed> replays a failure (SIM_PATH=<path> goes straight to
// the minimised case fast-check printed); SIM_RUNS sets how many runs (a long mode: SIM_RUNS=1000000).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runScenario, scenarioArb } from './scenario';

const runs = Number(process.env.SIM_RUNS ?? 10_000);
const seed = process.env.SIM_SEED !== undefined ? Number(process.env.SIM_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const replayPath = process.env.SIM_PATH;

describe('sync simulator', function () {
  this.timeout(0);

  it(`keeps every device equal to the server and loses no content (${runs} runs, seed ${seed})`, () => {
    console.log(`    simulator: ${runs} runs, SIM_SEED=${seed}`);
    fc.assert(
      fc.property(scenarioArb(Number(process.env.SIM_OPS ?? 80)), (sc) => {
        runScenario(sc);
      }),
      { numRuns: runs, seed, ...(replayPath !== undefined ? { path: replayPath } : {}), endOnFailure: false },
    );
  });

  // The checks can fail: with a fixed bug put back, the simulator finds it and shrinks it to a few steps.
  for (const [mutation, finding] of [
    ['unguardedAnswers', /differs from the server/],
    ['blindWrites', /was lost/],
  ] as const)
    it(`finds the bug put back on purpose: ${mutation}`, () => {
      const result = fc.check(
        fc.property(scenarioArb(80), (sc) => runScenario(sc, mutation)),
        { numRuns: 20_000, seed: 1387233452 },
      );
      assert.equal(result.failed, true, 'the simulator missed the bug');
      assert.match(String((result.errorInstance as Error).message), finding);
      assert.ok(result.counterexample![0].ops.length <= 12, `minimised to ${result.counterexample![0].ops.length} steps`);
    });
});
