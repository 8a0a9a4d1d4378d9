// A simulated run of the real engine (engineDevice.ts): the same generated sequences as scenario.ts, plus
// which of a device's concurrent requests is answered first and the clock's timers; then quiescence and the checks.
import fc from 'fast-check';
import { MemServer } from './memServer';
import { EngineDevice, drain } from './engineDevice';
import { FakeClock } from './fakeClock';
import { opArb as fileOpArb, type Op as FileOp } from './scenario';

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

export interface Scenario {
  devices: number;
  ops: Op[];
}

export function engineScenarioArb(maxOps: number): fc.Arbitrary<Scenario> {
  return fc
    .integer({ min: 2, max: 3 })
    .chain((devices) => fc.record({ devices: fc.constant(devices), ops: fc.array(opArb(devices), { maxLength: maxOps, size: 'max' }) }));
}

/** Runs one scenario on the real engine; throws what went wrong (a device differs from the server, a content lost, no quiescence). */
export async function runEngineScenario(sc: Scenario): Promise<void> {
  const clock = new FakeClock();
  const server = new MemServer();
  const devices = Array.from({ length: sc.devices }, (_, i) => new EngineDevice(`d${i}`, server, clock));
  let made = 0;
  const written = new Set<string>();
  const removedByPerson = new Set<string>();
  const fresh = (who: string) => {
    const c = `${who}#${++made}`;
    written.add(c);
    return c;
  };
  const trace = process.env.SIM_TRACE ? (m: string) => console.log(m) : undefined;
  try {
    await drain();
    for (const op of sc.ops) {
      trace?.(JSON.stringify(op));
      const dev = 'd' in op ? devices[op.d]! : undefined;
      switch (op.k) {
        case 'web': {
          const cur = server.files.get(op.f);
          if (op.del) {
            if (cur) server.delete(op.f, cur.rev);
          } else if (![...server.files.keys()].some((p) => p.startsWith(`${op.f}/`) || op.f.startsWith(`${p}/`)))
            server.commit(op.f, fresh('web'), cur?.rev ?? null);
          break;
        }
        case 'write': {
          // What is in the way goes first, as a person replacing a folder by a file (or a file by a folder) does.
          for (const p of dev!.inTheWayOf(op.f)) {
            removedByPerson.add(dev!.files.get(p)!);
            dev!.files.delete(p);
            dev!.touched(p);
          }
          const old = dev!.files.get(op.f);
          if (old !== undefined) removedByPerson.add(old);
          dev!.files.set(op.f, fresh(dev!.name));
          dev!.touched(op.f);
          break;
        }
        case 'delete': {
          const old = dev!.files.get(op.f);
          if (old === undefined) break;
          removedByPerson.add(old);
          dev!.files.delete(op.f);
          dev!.touched(op.f);
          break;
        }
        case 'rename': {
          const c = dev!.files.get(op.f);
          if (c === undefined || op.f === op.to || dev!.files.has(op.to) || dev!.inTheWayOf(op.to).some((p) => p !== op.f)) break;
          dev!.files.delete(op.f);
          dev!.files.set(op.to, c);
          dev!.touched(op.f);
          dev!.touched(op.to);
          break;
        }
        case 'renameDir': {
          if (op.from === op.to || op.to.startsWith(`${op.from}/`) || op.from.startsWith(`${op.to}/`)) break;
          const moving = [...dev!.files.keys()].filter((p) => p.startsWith(`${op.from}/`));
          if (
            moving.length === 0 ||
            [...dev!.files.keys()].some((p) => p.startsWith(`${op.to}/`)) ||
            dev!.inTheWayOf(`${op.to}/-`).length > 0
          )
            break;
          for (const p of moving) {
            const to = op.to + p.slice(op.from.length);
            dev!.files.set(to, dev!.files.get(p)!);
            dev!.files.delete(p);
            dev!.touched(p);
            dev!.touched(to);
          }
          break;
        }
        case 'deleteDir':
          for (const p of [...dev!.files.keys()])
            if (p.startsWith(`${op.dir}/`)) {
              removedByPerson.add(dev!.files.get(p)!);
              dev!.files.delete(p);
              dev!.touched(p);
            }
          break;
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
      const onServer = new Map([...server.files].map(([p, f]) => [p, f.content]));
      for (const dev of devices) {
        const diff = differences(dev.files, onServer);
        if (diff.length > 0)
          throw new Error(
            `${dev.name} differs from the server ${when}: ${diff.join('; ')} (status ${dev.status}; not synced: ${dev.notSynced.join(', ') || 'none'})`,
          );
      }
      // And each says so: up to date, nothing pending (a path left marked keeps "Syncing" on for good).
      for (const dev of devices)
        if (!dev.status.includes('"upToDate"')) throw new Error(`${dev.name} holds the server's files ${when} but says ${dev.status}`);
    }
    const onServer = new Map([...server.files].map(([p, f]) => [p, f.content]));
    const kept = new Set<string>([...onServer.values(), ...server.history]);
    for (const dev of devices) for (const c of dev.files.values()) kept.add(c);
    for (const c of written)
      if (!kept.has(c) && !removedByPerson.has(c))
        throw new Error(`content "${c}" was lost: on no device, not on the server, not in its history`);
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

function differences(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [p, c] of a) if (b.get(p) !== c) out.push(`${p}: here ${c}, server ${b.get(p) ?? 'none'}`);
  for (const [p, c] of b) if (!a.has(p)) out.push(`${p}: here none, server ${c}`);
  return out;
}
