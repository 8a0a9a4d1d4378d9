// What people do in a simulated run: edit a device's folder (write, delete, rename files and folders) and the
// server's files on the website; and every content they wrote, and every one they removed (theirs to lose).
import type { MemServer } from './memServer';

/** A device's folder as people see it: file path -> content; `touched` is the watcher telling the engine. */
export interface SimFolder {
  readonly name: string;
  readonly files: Map<string, string>;
  touched(path: string): void;
}

export type PersonOp =
  | { k: 'write'; d: number; f: string }
  | { k: 'delete'; d: number; f: string }
  | { k: 'rename'; d: number; f: string; to: string }
  | { k: 'renameDir'; d: number; from: string; to: string }
  | { k: 'deleteDir'; d: number; dir: string }
  | { k: 'web'; f: string; del: boolean };

const PERSON_OPS: ReadonlySet<string> = new Set<PersonOp['k']>(['write', 'delete', 'rename', 'renameDir', 'deleteDir', 'web']);

export function isPersonOp(op: { k: string }): op is PersonOp {
  return PERSON_OPS.has(op.k);
}

/** Files that keep a file from being written at `p`: a file where a folder above it would be, and the files in a folder of that name. */
function inTheWayOf(files: ReadonlyMap<string, unknown>, p: string): string[] {
  const out: string[] = [];
  for (const q of files.keys()) if (p.startsWith(`${q}/`) || q.startsWith(`${p}/`)) out.push(q);
  return out;
}

export class People {
  private made = 0;
  /** Every content a person wrote, and those a person removed or wrote over. */
  private readonly written = new Set<string>();
  private readonly removedByPerson = new Set<string>();

  constructor(
    private readonly server: MemServer,
    private readonly devices: readonly SimFolder[],
  ) {}

  private fresh(who: string): string {
    const c = `${who}#${++this.made}`;
    this.written.add(c);
    return c;
  }

  private removed(dev: SimFolder, p: string): void {
    this.removedByPerson.add(dev.files.get(p)!);
    dev.files.delete(p);
    dev.touched(p);
  }

  do(op: PersonOp): void {
    if (op.k === 'web') {
      // Someone on the website: writes or deletes the server's file as it is now.
      const cur = this.server.files.get(op.f);
      if (op.del) {
        if (cur) this.server.delete(op.f, cur.rev);
      } else if (inTheWayOf(this.server.files, op.f).length === 0) this.server.commit(op.f, this.fresh('web'), cur?.rev ?? null);
      return;
    }
    const dev = this.devices[op.d]!;
    const files = dev.files;
    switch (op.k) {
      case 'write': {
        // What is in the way goes first, as a person replacing a folder by a file (or a file by a folder) does.
        for (const p of inTheWayOf(files, op.f)) this.removed(dev, p);
        const old = files.get(op.f);
        if (old !== undefined) this.removedByPerson.add(old);
        files.set(op.f, this.fresh(dev.name));
        dev.touched(op.f);
        return;
      }
      case 'delete':
        if (files.has(op.f)) this.removed(dev, op.f);
        return;
      case 'rename': {
        const c = files.get(op.f);
        if (c === undefined || op.f === op.to || files.has(op.to) || inTheWayOf(files, op.to).some((p) => p !== op.f)) return;
        files.delete(op.f);
        files.set(op.to, c);
        dev.touched(op.f);
        dev.touched(op.to);
        return;
      }
      case 'renameDir': {
        if (op.from === op.to || op.to.startsWith(`${op.from}/`) || op.from.startsWith(`${op.to}/`)) return;
        const moving = [...files.keys()].filter((p) => p.startsWith(`${op.from}/`));
        // The target name must be free: no file below it here, and no file at it or above it.
        if (moving.length === 0 || [...files.keys()].some((p) => p.startsWith(`${op.to}/`)) || inTheWayOf(files, `${op.to}/-`).length > 0)
          return;
        for (const p of moving) {
          const to = op.to + p.slice(op.from.length);
          files.set(to, files.get(p)!);
          files.delete(p);
          dev.touched(p);
          dev.touched(to);
        }
        return;
      }
      case 'deleteDir':
        for (const p of [...files.keys()]) if (p.startsWith(`${op.dir}/`)) this.removed(dev, p);
        return;
    }
  }

  /** Throws when a content a person wrote and did not remove is on no device, not on the server and not in its history. */
  checkNothingLost(): void {
    const kept = new Set<string>([...[...this.server.files.values()].map((f) => f.content), ...this.server.history]);
    for (const dev of this.devices) for (const c of dev.files.values()) kept.add(c);
    for (const c of this.written)
      if (!kept.has(c) && !this.removedByPerson.has(c))
        throw new Error(`content "${c}" was lost: on no device, not on the server, not in its history`);
  }
}

/** How a device's folder differs from the server's files, one line a path. */
export function differences(dev: SimFolder, server: MemServer): string[] {
  const out: string[] = [];
  for (const [p, c] of dev.files)
    if (server.files.get(p)?.content !== c) out.push(`${p}: here ${c}, server ${server.files.get(p)?.content ?? 'none'}`);
  for (const [p, f] of server.files) if (!dev.files.has(p)) out.push(`${p}: here none, server ${f.content}`);
  return out;
}
