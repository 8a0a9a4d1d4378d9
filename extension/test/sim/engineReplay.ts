// Replays one scenario of the engine simulation with a trace: node --conditions=source --require tsx/cjs extension/test/sim/engineReplay.ts '<counterexample JSON>'
import { runEngineScenario, type Scenario } from './engineScenario';
import { EngineDevice } from './engineDevice';

process.env.SIM_TRACE = '1';
const arg = JSON.parse(process.argv[2] ?? '[]') as Scenario | [Scenario];
runEngineScenario(Array.isArray(arg) ? arg[0] : arg)
  .finally(() => EngineDevice.cleanUp())
  .then(
    () => console.log('passed'),
    (err: unknown) => {
      console.log(`FAILED: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
