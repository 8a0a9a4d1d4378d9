// A simulated run of the real engine (engineDevice.ts): the same generated sequences as scenario.ts, plus
// which of a device's concurrent requests is answered first and the clock's timers; then quiescence and the checks.
import fc from 'fast-check';
import { MemServer } from './memServer';
import { EngineDevice, drain } from './engineDevice';
import { FakeClock } from './fakeClock';
import { opArb as fileOpArb, scenarioArbOf, type Op as FileOp, type ScenarioOf } from './scenario';
import { People, differences, isPersonOp } from './people';

export type Op =
  | FileOp
  | { k: 'pick'; d: number; n: number; pick: number }
  | { k: 'tick' }
  | { k: 'pause'; d: number }
  | { k: 'resume'; d: number }
  | { k: 'forgetFeed' };

/** Names that are a file on one side and a folder on another ("a", "a/c"): a file replaced by a folder and the other way round. */
const FILES = ['x', 'y', 'a', 'a/x', 'a/y', 'b/x', 'a/c', 'a/c/x'];

function opArb(devices: number): fc.Arbitrary<Op> {
  const d = fc.integer({ min: 0, max: devices - 1 });
  return fc.oneof(
    { weight: 8, arbitrary: fileOpArb(devices, FILES) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('pick' as const), d, n: fc.integer({ min: 1, max: 4 }), pick: fc.nat(7) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'tick' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('pause' as const), d }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('resume' as const), d }) },
    { weight: 1, arbitrary: fc.constant({ k: 'forgetFeed' as const }) },
  );
}

export type Scenario = ScenarioOf<Op>;

export function engineScenarioArb(maxOps: number): fc.Arbitrary<Scenario> {
  return scenarioArbOf(opArb, maxOps);
}

/** Runs one scenario on the real engine; throws what went wrong (a device differs from the server, a content lost, no quiescence). */
export async function runEngineScenario(sc: Scenario): Promise<void> {
  const clock = new FakeClock();
  const server = new MemServer();
  const devices = Array.from({ length: sc.devices }, (_, i) => new EngineDevice(`d${i}`, server, clock));
  const people = new People(server, devices);
  const trace = process.env.SIM_TRACE ? (m: string) => console.log(m) : undefined;
  try {
    await drain();
    for (const op of sc.ops) {
      trace?.(JSON.stringify(op));
      const dev = 'd' in op ? devices[op.d]! : undefined;
      if (isPersonOp(op)) people.do(op);
      else
        switch (op.k) {
          case 'step':
            for (let i = 0; i < op.n; i++) await dev!.step();
            break;
          case 'pick':
            for (let i = 0; i < op.n; i++) await dev!.step(op.pick);
            break;
          case 'feed':
            dev!.pollFeed(op.hold);
            break;
          case 'late':
            dev!.deliverLate();
            break;
          case 'crash':
            dev!.crash();
            await drain();
            break;
          case 'drop':
            dev!.dropNext = true;
            break;
          case 'tick':
            await clock.fireNext();
            break;
          case 'pause':
            dev!.pause();
            break;
          case 'resume':
            dev!.resume();
            break;
          case 'forgetFeed':
            server.forgetFeed();
            break;
        }
      await drain();
    }

    // Settled as they ran, then again after every device restarted (a full pass from its index and saved cursor).
    for (const when of ['after quiescence', 'after a restart']) {
      if (when === 'after a restart') for (const d of devices) d.crash();
      else for (const d of devices) d.resume(); // the person resumes what was paused
      await quiesce(devices, clock);
      for (const dev of devices) {
        const diff = differences(dev, server);
        if (diff.length > 0)
          throw new Error(
            `${dev.name} differs from the server ${when}: ${diff.join('; ')} (status ${dev.status}; not synced: ${dev.notSynced.join(', ') || 'none'})`,
          );
      }
      // And each says so: up to date, nothing pending (a path left marked keeps "Syncing" on for good).
      for (const dev of devices)
        if (!dev.status.includes('"upToDate"')) throw new Error(`${dev.name} holds the server's files ${when} but says ${dev.status}`);
    }
    people.checkNothingLost();
  } finally {
    for (const d of devices) d.dispose();
  }
}

/** Every device follows the feed and syncs, timers firing when nothing else is left, until none has anything to do. */
async function quiesce(devices: EngineDevice[], clock: FakeClock): Promise<void> {
  {
    await drain();
    for (let i = 0; ; i++) {
      if (i > 2000) throw new Error(`the devices did not settle: ${devices.map((d) => `${d.name} ${d.status}`).join(', ')}`);
      for (const d of devices) {
        d.deliverLate();
        d.pollFeed();
      }
      await drain();
      let stepped = false;
      for (const d of devices) if (await d.step()) stepped = true;
      if (stepped) continue;
      if (devices.some((d) => d.busy)) {
        await drain();
        continue;
      }
      // Nothing runs and nothing waits for an answer: the feed has nothing new (else it would have marked paths), so fire the next timer, if any.
      const next = clock.nextAt();
      if (next === undefined || next - clock.now() > 10 * 60_000) break;
      if (process.env.SIM_TRACE) console.log(`timer at +${next - clock.now()} ms`);
      await clock.fireNext();
    }
  }
}
