// The rules a new file version must pass before anything is written, each written once: the path's length on this
// server, the base revision, the placement (no file inside a file, none over a folder with files) and the quota.
import { MyDropboxError, parentPath } from '@mydropbox/shared';
import type { CommitRequest } from '@mydropbox/shared';
import type { FileRow, FilesRepository } from '../store/filesRepository';
import type { EntryKind, UserFiles } from '../store/userFiles';
import type { Quota } from './quota';
import { inParallel } from '../inParallel';

/** lstats asked at once: one by one, a thousand paths were a thousand round trips to the thread pool. */
const LSTAT_WIDTH = 32;

export interface CheckDeps {
  files: FilesRepository;
  disk: UserFiles;
  quota: Quota;
}

/** A commit that passed every check, with its index in the request and the live row it replaces. */
export interface Accepted {
  i: number;
  req: CommitRequest;
  current?: FileRow;
}

/** What the placement rule needs to know about some paths, read at once. */
export interface Places {
  /** Their ancestors that are live files. */
  fileAncestors: Set<string>;
  /** What is on disk at each (a path too long for this server reads as 'none': `checkPlace` refuses it). */
  kinds: Map<string, EntryKind>;
}

/** Paths already placed by earlier commits of the same batch, and their folders. */
interface Taken {
  files: Set<string>;
  folders: Set<string>;
}

export function live(row: FileRow | undefined): FileRow | undefined {
  return row && !row.deleted ? row : undefined;
}

export function conflict(message: string, currentRev: number | null): MyDropboxError {
  return new MyDropboxError('conflict', message, { currentRev });
}

export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentPath(path); p !== ''; p = parentPath(p)) out.push(p);
  return out;
}

/**
 * The checks of every commit of a batch (a single commit is a batch of one), with the rows, the
 * ancestors and the disk read at once: the commits that may go ahead, and what is on disk at each
 * path. A refused commit is handed to `refuse` with its error, and the rest go on.
 */
export async function checkCommits(
  d: CheckDeps,
  owner: string,
  reqs: readonly CommitRequest[],
  refuse: (i: number, err: unknown) => void,
): Promise<{ accepted: Accepted[]; kinds: Map<string, EntryKind> }> {
  const paths = reqs.map((r) => r.path);
  const [rows, places, usage] = await Promise.all([d.files.getMany(owner, paths), readPlaces(d, owner, paths), d.files.usage(owner)]);
  let { usedBytes } = usage;
  const accepted: Accepted[] = [];
  const taken: Taken = { files: new Set(), folders: new Set() };
  for (const [i, req] of reqs.entries()) {
    try {
      if (taken.files.has(req.path)) throw new MyDropboxError('invalid_request', `"${req.path}" is in this batch twice; send it once.`);
      d.disk.abs(owner, req.path); // refuses a path too long for this server
      const current = live(rows.get(req.path));
      checkBase(req.path, current, req.baseRev);
      await checkPlace(d, owner, req.path, places, taken);
      d.quota.checkCommitWithin(usedBytes, current?.size ?? 0, req.size);
      usedBytes += req.size - (current?.size ?? 0);
      taken.files.add(req.path);
      for (const a of ancestorsOf(req.path)) taken.folders.add(a);
      accepted.push({ i, req, current });
    } catch (err) {
      refuse(i, err);
    }
  }
  return { accepted, kinds: places.kinds };
}

/** The placement rule for one path written outside a commit (a copy, a move, a restore). */
export async function checkPlacement(d: CheckDeps, owner: string, path: string): Promise<void> {
  await checkPlace(d, owner, path, await readPlaces(d, owner, [path]));
}

/** The base revision a commit was made from must be the live row's (null: there must be none). */
export function checkBase(path: string, current: FileRow | undefined, baseRev: number | null): void {
  if (baseRev === null && current) {
    throw conflict(`"${path}" already exists on the server (revision ${current.rev}); fetch it before replacing it.`, current.rev);
  }
  if (baseRev !== null && current?.rev !== baseRev) {
    throw conflict(
      current
        ? `"${path}" changed on the server (now revision ${current.rev}, you had ${baseRev}); fetch it and merge.`
        : `"${path}" was deleted on the server after revision ${baseRev}.`,
      current?.rev ?? null,
    );
  }
}

async function readPlaces(d: CheckDeps, owner: string, paths: readonly string[]): Promise<Places> {
  const ancestors = [...new Set(paths.flatMap(ancestorsOf))];
  const kinds = new Map<string, EntryKind>();
  const [blocking] = await Promise.all([
    ancestors.length ? d.files.liveAmong(owner, ancestors) : [],
    inParallel(paths, LSTAT_WIDTH, async (p) => {
      kinds.set(
        p,
        await d.disk.kind(owner, p).catch((err: unknown) => (MyDropboxError.is(err, 'invalid_path') ? 'none' : Promise.reject(err))),
      );
    }),
  ]);
  return { fileAncestors: new Set(blocking.map((r) => r.path)), kinds };
}

/**
 * A file cannot sit inside a path that is a file (live, or placed by an earlier commit of the same
 * batch), nor where a folder with files is; a folder holding only empty folders is removed.
 */
async function checkPlace(d: CheckDeps, owner: string, path: string, places: Places, taken?: Taken): Promise<void> {
  const blocking = ancestorsOf(path).find((a) => places.fileAncestors.has(a) || taken?.files.has(a));
  if (blocking) throw conflict(`"${blocking}" is a file, so "${path}" cannot be created inside it.`, null);
  d.disk.abs(owner, path); // refuses a path too long for this server
  if (taken?.folders.has(path)) throw conflict(`"${path}" is a folder of another file in this batch.`, null);
  if (places.kinds.get(path) === 'dir' && !(await d.disk.removeEmptyTree(owner, path))) {
    throw conflict(`"${path}" is a folder with files in it; a file cannot replace it.`, null);
  }
}
