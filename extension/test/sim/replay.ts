// Replays one scenario printed by a failing simulation, with a trace: node --conditions=source --require tsx/cjs extension/test/sim/replay.ts '<counterexample JSON>'
import { runScenario, type Scenario } from './scenario';

process.env.SIM_TRACE = '1';
const arg = JSON.parse(process.argv[2] ?? '[]') as Scenario | [Scenario];
const sc = Array.isArray(arg) ? arg[0] : arg;
try {
  runScenario(sc);
  console.log('passed');
} catch (err) {
  console.log(`FAILED: ${(err as Error).message}`);
  process.exitCode = 1;
}
