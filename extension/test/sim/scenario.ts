// A simulated run: devices and the server, a generated sequence of what people, devices and the network do,
// then quiescence, then the checks (every device equals the server; no content lost that a person did not remove).
import fc from 'fast-check';
import { MemServer } from './memServer';
import { SimDevice, type Mutation } from './simDevice';
import { People, differences, isPersonOp, type PersonOp } from './people';

/** File names and folder names never meet (file/folder clashes are not simulated yet). */
const FILES = ['x', 'y', 'a/x', 'a/y', 'b/x', 'a/c/x'];
const DIRS = ['a', 'b', 'a/c'];

export type Op =
  | PersonOp
  | { k: 'step'; d: number; n: number }
  | { k: 'feed'; d: number; hold: boolean }
  | { k: 'late'; d: number }
  | { k: 'crash'; d: number }
  | { k: 'drop'; d: number };

export function opArb(devices: number, files: readonly string[] = FILES): fc.Arbitrary<Op> {
  const d = fc.integer({ min: 0, max: devices - 1 });
  const f = fc.constantFrom(...files);
  const dir = fc.constantFrom(...DIRS);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('write' as const), d, f }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), d, f }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('rename' as const), d, f, to: f }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('renameDir' as const), d, from: dir, to: dir }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('deleteDir' as const), d, dir }) },
    { weight: 8, arbitrary: fc.record({ k: fc.constant('step' as const), d, n: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('feed' as const), d, hold: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('late' as const), d }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const), d }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('drop' as const), d }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('web' as const), f, del: fc.boolean() }) },
  );
}

/** A run: how many devices, and what happens, in order. */
export interface ScenarioOf<O> {
  devices: number;
  ops: O[];
}

export type Scenario = ScenarioOf<Op>;

/** Two or three devices and up to `maxOps` ops drawn by `ops` for that many devices. */
export function scenarioArbOf<O>(ops: (devices: number) => fc.Arbitrary<O>, maxOps: number): fc.Arbitrary<ScenarioOf<O>> {
  return fc
    .integer({ min: 2, max: 3 })
    .chain((devices) => fc.record({ devices: fc.constant(devices), ops: fc.array(ops(devices), { maxLength: maxOps, size: 'max' }) }));
}

export function scenarioArb(maxOps: number): fc.Arbitrary<Scenario> {
  return scenarioArbOf(opArb, maxOps);
}

/** Runs one scenario; throws (with what went wrong) when a device differs from the server or a content was lost. */
export function runScenario(sc: Scenario, mutation?: Mutation): void {
  let time = 1_700_000_000_000;
  const server = new MemServer();
  const devices = Array.from({ length: sc.devices }, (_, i) => new SimDevice(`d${i}`, server, () => time, mutation));
  const people = new People(server, devices);

  for (const op of sc.ops) {
    time += 1000;
    if (process.env.SIM_TRACE) console.log(JSON.stringify(op));
    if (isPersonOp(op)) people.do(op);
    else
      switch (op.k) {
        case 'step':
          for (let i = 0; i < op.n; i++) devices[op.d]!.step();
          break;
        case 'feed':
          devices[op.d]!.pollFeed(op.hold);
          break;
        case 'late':
          devices[op.d]!.deliverLate();
          break;
        case 'crash':
          devices[op.d]!.crash();
          break;
        case 'drop':
          devices[op.d]!.dropNext = true;
          break;
      }
  }

  quiesce(devices, () => (time += 1000));

  for (const dev of devices) {
    const diff = differences(dev, server);
    if (diff.length > 0) throw new Error(`${dev.name} differs from the server after quiescence: ${diff.join('; ')}`);
  }
  people.checkNothingLost();
}

/** Every device follows the feed and syncs until none has anything left to do; then each runs a full pass once more (a restart) and settles again. */
function quiesce(devices: SimDevice[], tick: () => void): void {
  for (const round of [0, 1]) {
    if (round === 1) for (const d of devices) d.crash();
    for (let i = 0; ; i++) {
      if (i > 200) throw new Error('the devices did not settle (still syncing after 200 rounds)');
      let any = false;
      for (const d of devices) {
        d.deliverLate();
        d.deliverLate();
        d.pollFeed();
        for (let n = 0; n < 500 && d.step(); n++) any = true;
        if (d.busy) throw new Error(`${d.name} is still syncing after 500 steps`);
      }
      tick();
      if (!any) break;
    }
  }
}
