import fc from 'fast-check';
import { engineScenarioArb, runEngineScenario } from './engineScenario';
const runs = Number(process.env.N ?? 200);
const seed = Number(process.env.SIM_SEED ?? 42);
const t = Date.now();
fc.assert(
  fc.asyncProperty(engineScenarioArb(Number(process.env.OPS ?? 60)), (sc) => runEngineScenario(sc)),
  { numRuns: runs, seed },
).then(
  () => console.log(`ok ${runs} runs in ${Date.now() - t} ms`),
  (err: unknown) => {
    console.log(
      String((err as Error).message)
        .split('\n')
        .slice(0, 12)
        .join('\n'),
    );
    console.log(`after ${Date.now() - t} ms`);
  },
);
