// A simulated run: devices and the server, a generated sequence of what people, devices and the network do,
// then quiescence, then the checks (every device equals the server; no content lost that a person did not remove).
import fc from 'fast-check';
import { MemServer } from './memServer';
import { SimDevice, type Mutation } from './simDevice';

/** File names and folder names never meet (file/folder clashes are not simulated yet). */
const FILES = ['x', 'y', 'a/x', 'a/y', 'b/x', 'a/c/x'];
const DIRS = ['a', 'b', 'a/c'];

export type Op =
  | { k: 'write'; d: number; f: string }
  | { k: 'delete'; d: number; f: string }
  | { k: 'rename'; d: number; f: string; to: string }
  | { k: 'renameDir'; d: number; from: string; to: string }
  | { k: 'deleteDir'; d: number; dir: string }
  | { k: 'step'; d: number; n: number }
  | { k: 'feed'; d: number; hold: boolean }
  | { k: 'late'; d: number }
  | { k: 'crash'; d: number }
  | { k: 'drop'; d: number }
  | { k: 'web'; f: string; del: boolean };

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

export interface Scenario {
  devices: number;
  ops: Op[];
}

export function scenarioArb(maxOps: number): fc.Arbitrary<Scenario> {
  return fc
    .integer({ min: 2, max: 3 })
    .chain((devices) => fc.record({ devices: fc.constant(devices), ops: fc.array(opArb(devices), { maxLength: maxOps, size: 'max' }) }));
}

/** Runs one scenario; throws (with what went wrong) when a device differs from the server or a content was lost. */
export function runScenario(sc: Scenario, mutation?: Mutation): void {
  let time = 1_700_000_000_000;
  const server = new MemServer();
  const devices = Array.from({ length: sc.devices }, (_, i) => new SimDevice(`d${i}`, server, () => time, mutation));
  let made = 0;
  /** Every content a person wrote, and those a person removed or wrote over (theirs to lose). */
  const written = new Set<string>();
  const removedByPerson = new Set<string>();
  const fresh = (who: string) => {
    const c = `${who}#${++made}`;
    written.add(c);
    return c;
  };

  for (const op of sc.ops) {
    time += 1000;
    if (process.env.SIM_TRACE) console.log(JSON.stringify(op));
    switch (op.k) {
      case 'web': {
        // Someone on the website: writes or deletes the server's file as it is now.
        const cur = server.files.get(op.f);
        if (op.del) {
          if (cur) server.delete(op.f, cur.rev);
        } else if (!clashesOnServer(server, op.f)) server.commit(op.f, fresh('web'), cur?.rev ?? null);
        break;
      }
      case 'write': {
        const dev = devices[op.d]!;
        const old = dev.files.get(op.f);
        if (old !== undefined) removedByPerson.add(old);
        dev.files.set(op.f, fresh(dev.name));
        dev.touched(op.f);
        break;
      }
      case 'delete': {
        const dev = devices[op.d]!;
        const old = dev.files.get(op.f);
        if (old === undefined) break;
        removedByPerson.add(old);
        dev.files.delete(op.f);
        dev.touched(op.f);
        break;
      }
      case 'rename': {
        const dev = devices[op.d]!;
        const c = dev.files.get(op.f);
        if (c === undefined || op.f === op.to || dev.files.has(op.to)) break;
        dev.files.delete(op.f);
        dev.files.set(op.to, c);
        dev.touched(op.f);
        dev.touched(op.to);
        break;
      }
      case 'renameDir': {
        const dev = devices[op.d]!;
        if (op.from === op.to || op.to.startsWith(`${op.from}/`) || op.from.startsWith(`${op.to}/`)) break;
        const moving = [...dev.files.keys()].filter((p) => p.startsWith(`${op.from}/`));
        // The target name must be free (no file below it here).
        if (moving.length === 0 || [...dev.files.keys()].some((p) => p.startsWith(`${op.to}/`))) break;
        for (const p of moving) {
          const to = op.to + p.slice(op.from.length);
          dev.files.set(to, dev.files.get(p)!);
          dev.files.delete(p);
          dev.touched(p);
          dev.touched(to);
        }
        break;
      }
      case 'deleteDir': {
        const dev = devices[op.d]!;
        for (const p of [...dev.files.keys()])
          if (p.startsWith(`${op.dir}/`)) {
            removedByPerson.add(dev.files.get(p)!);
            dev.files.delete(p);
            dev.touched(p);
          }
        break;
      }
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

  const onServer = new Map([...server.files].map(([p, f]) => [p, f.content]));
  for (const dev of devices) {
    const diff = differences(dev.files, onServer);
    if (diff.length > 0) throw new Error(`${dev.name} differs from the server after quiescence: ${diff.join('; ')}`);
  }
  const kept = new Set<string>([...onServer.values(), ...server.history]);
  for (const dev of devices) for (const c of dev.files.values()) kept.add(c);
  for (const c of written)
    if (!kept.has(c) && !removedByPerson.has(c))
      throw new Error(`content "${c}" was lost: on no device, not on the server, not in its history`);
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

function clashesOnServer(server: MemServer, path: string): boolean {
  for (const p of server.files.keys()) if (p.startsWith(`${path}/`) || path.startsWith(`${p}/`)) return true;
  return false;
}

function differences(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [p, c] of a) if (b.get(p) !== c) out.push(`${p}: here ${c}, server ${b.get(p) ?? 'none'}`);
  for (const [p, c] of b) if (!a.has(p)) out.push(`${p}: here none, server ${c}`);
  return out;
}
