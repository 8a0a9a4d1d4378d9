// Runs a plan: index-only steps at once, transfers in parallel, deletes last (so renames reuse the server's blocks).
import { classify, MyDropboxError } from '@mydropbox/shared';
import { executionPhases, type Action, type TreeEntry } from './planner';
import type { RemoteClient } from './remote';
import type { LocalEntry } from './scanner';
import type { SyncedIndex } from './syncedIndex';
import { statOf } from './hasher';
import {
  absolute,
  BlockClaims,
  deleteLocalFile,
  LocalChangedError,
  readLocal,
  uploadFile,
  setExecutable,
  writeFileSafely,
  type Downloaded,
} from './transfer';
import fs from 'node:fs';
import type { FileEntry } from '@mydropbox/shared';
import { isSmall, uploadSmallFiles, type SmallUpload } from './batchUpload';
import { TransferCancelledError, type ActivityTracker, type TransferHandle } from './activity';
import { checkParents, UnsafeLocalPathError } from './pathSafety';
import { recordAnswer, recordGone, remoteEntryOf } from './changeFeed';

/** The server's view of a file (modifiedAt goes into `mtime`). */
export interface RemoteEntry extends TreeEntry {
  size: number;
  contentHash: string;
  rev: number;
  mtime?: number;
}

export interface ExecutorContext {
  folder: string;
  remote: RemoteClient;
  index: SyncedIndex;
  local: Map<string, LocalEntry>;
  remoteTree: Map<string, RemoteEntry>;
  /** Revisions of files the server deleted, so a late, older change-feed entry cannot bring them back. */
  tombstones: Map<string, number>;
  onConflict?(info: { path: string; conflictPath: string }): void;
  onProgress?(remaining: number): void;
  /** Told when each action starts and ends (the Activity view); cancels transfers. */
  activity?: ActivityTracker;
  /** A folder the server keeps (an explicit one): not removed here when a delete empties it. */
  keepFolder?(rel: string): boolean;
  /** This device deleted `rel` on the server. */
  onDeletedThere?(rel: string): void;
}

/** Content hash -> a local path holding it, built once per run for the downloads that can copy locally. */
type Twins = Map<string, string>;

export type Outcome =
  | 'done'
  | 'localChanged' // re-hash the path and plan again
  | 'remoteChanged' // refresh the server's entry and plan again
  | 'retry' // network or server trouble: back off
  | 'refused' // a folder above it is a link: not written, reported
  | 'failed'; // needs the person (quota, a name the server refuses)

export interface ExecutionReport {
  outcomes: Map<string, Outcome>;
  errors: Map<string, unknown>;
  /** New local paths the actions created (conflicted copies) that the next plan must look at. */
  touched: Set<string>;
}

export const TRANSFER_CONCURRENCY = 8;

export async function execute(ctx: ExecutorContext, actions: readonly Action[]): Promise<ExecutionReport> {
  const report: ExecutionReport = { outcomes: new Map(), errors: new Map(), touched: new Set() };
  const { records, clearing, transfers, deletes } = executionPhases(actions);
  for (const a of records) {
    if (a.kind !== 'updateSynced') continue;
    recordAgreement(ctx, a.path, a.entry);
    report.outcomes.set(a.path, 'done');
  }
  const twins: Twins = new Map();
  if (transfers.some((a) => a.kind === 'download' || a.kind === 'conflict' || a.kind === 'downloadAside')) {
    for (const [p, e] of ctx.local) if (e.size > 0) twins.set(e.contentHash, p);
  }
  const uploads = transfers.filter((a) => a.kind === 'upload');
  const claims = uploads.length
    ? await BlockClaims.ask(
        ctx.remote,
        uploads.flatMap((a) => ctx.local.get(a.path)?.blocks ?? []),
      )
    : undefined;
  // Small files go up in batches (a few requests for thousands of files); the rest one by one, in parallel.
  const small: SmallUpload[] = [];
  const oneByOne: Action[] = [];
  for (const a of transfers) {
    const local = a.kind === 'upload' ? ctx.local.get(a.path) : undefined;
    if (a.kind === 'upload' && local && local.contentHash === a.local.contentHash && isSmall(local)) {
      small.push({ path: a.path, local, baseRev: a.baseRev });
    } else oneByOne.push(a);
  }
  let remaining = clearing.length + transfers.length + deletes.length;
  const runSmall = async () => {
    if (!small.length) return;
    const byPath = new Map(small.map((u) => [u.path, u.local]));
    const actionOf = new Map(transfers.map((a) => [a.path, a]));
    for (const u of small) {
      ctx.index.markSending(u.path, { ...u.local, rev: 0 });
      ctx.activity?.begin(actionOf.get(u.path)!, u.local.size);
    }
    for (const r of await uploadSmallFiles(ctx.remote, ctx.folder, small, claims!)) {
      if ('file' in r) {
        recordUpload(ctx, r.path, byPath.get(r.path)!, r.file);
        report.outcomes.set(r.path, 'done');
        ctx.activity?.end(actionOf.get(r.path)!, undefined, false, { size: r.file.size });
      } else {
        const outcome = outcomeOf(r.error);
        report.outcomes.set(r.path, outcome);
        report.errors.set(r.path, r.error);
        ctx.activity?.end(actionOf.get(r.path)!, r.error, outcome !== 'failed');
      }
      ctx.onProgress?.(--remaining);
    }
  };
  const run = async (list: Action[]) => {
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const a = list[next++]!;
        const transfer = ctx.activity?.begin(a, sizeOf(a));
        try {
          await runOne(ctx, a, report, twins, claims, transfer);
          report.outcomes.set(a.path, 'done');
          ctx.activity?.end(a, undefined, false, { size: sizeOf(a) });
        } catch (thrown) {
          // Whatever a cancelled request threw (an AbortError from fetch, a half-written temp file), the person cancelled it.
          const err = transfer?.signal.aborted ? new TransferCancelledError(a.path) : thrown;
          const outcome = outcomeOf(err);
          report.outcomes.set(a.path, outcome);
          report.errors.set(a.path, err);
          ctx.activity?.end(a, err, outcome !== 'failed');
        }
        ctx.onProgress?.(--remaining);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TRANSFER_CONCURRENCY, list.length) }, worker));
  };
  // A path that a delete clears the way for runs only once that delete is done; one that failed waits for the next plan.
  await run(clearing);
  const blocked = clearing.filter((a) => report.outcomes.get(a.path) !== 'done').map((a) => a.path);
  if (blocked.length > 0) {
    const isBlocked = (p: string) => blocked.some((b) => b === p || p.startsWith(`${b}/`) || b.startsWith(`${p}/`));
    const skip = (list: { path: string }[]) => {
      for (let i = list.length - 1; i >= 0; i--) {
        const p = list[i]!.path;
        if (!isBlocked(p)) continue;
        list.splice(i, 1);
        report.outcomes.set(p, 'localChanged');
        ctx.onProgress?.(--remaining);
      }
    };
    skip(small);
    skip(oneByOne);
  }
  await Promise.all([runSmall(), run(oneByOne)]);
  await run(deletes);
  return report;
}

function sizeOf(a: Action): number {
  return a.kind === 'upload'
    ? a.local.size
    : a.kind === 'download' || a.kind === 'conflict' || a.kind === 'downloadAside'
      ? a.remote.size
      : 0;
}

/** What a failed action leaves for the next pass, by the one error policy (shared's classify). */
export function outcomeOf(err: unknown): Outcome {
  // A file where a folder above the path was: the folder became a file since the plan, a change of shape the next
  // plan resolves (keeping both); listed as refused, the path below was left out and the clash never resolved.
  if (err instanceof UnsafeLocalPathError) return err.what === 'not a folder' ? 'localChanged' : 'refused';
  switch (classify(err).kind) {
    case 'localChanged':
      return 'localChanged';
    case 'remoteChanged':
      return 'remoteChanged';
    case 'offline':
    case 'retry':
      return 'retry';
    case 'auth': // the engine stops on a refused device; per file, nothing to try again
    case 'needsPerson':
      return 'failed';
  }
}

function recordAgreement(ctx: ExecutorContext, path: string, entry: TreeEntry | null): void {
  const l = ctx.local.get(path);
  if (!entry || !l) {
    ctx.index.delete(path);
    return;
  }
  ctx.index.set(path, { ...statOf(l), contentHash: l.contentHash, blocks: l.blocks, rev: entry.rev ?? 0, ...execOf(l) });
}

/** `{ executable: true }` for an executable entry, else nothing (entries leave the bit out when it is off). */
function execOf(e: { executable?: boolean } | undefined): { executable?: true } {
  return e?.executable === true ? { executable: true } : {};
}

/** The server took the local file as `file`: both trees and the index now agree on it. */
function recordUpload(ctx: ExecutorContext, path: string, local: LocalEntry, file: FileEntry): void {
  recordAnswer(ctx.remoteTree, ctx.tombstones, path, remoteEntryOf(file));
  ctx.index.set(path, { ...statOf(local), contentHash: local.contentHash, blocks: local.blocks, rev: file.rev, ...execOf(local) });
}

async function runOne(
  ctx: ExecutorContext,
  a: Action,
  report: ExecutionReport,
  twins: Twins,
  claims?: BlockClaims,
  transfer?: TransferHandle,
): Promise<void> {
  switch (a.kind) {
    case 'upload': {
      const local = ctx.local.get(a.path);
      if (!local || local.contentHash !== a.local.contentHash) throw new LocalChangedError(a.path);
      const baseBlocks = ctx.index.get(a.path)?.blocks;
      ctx.index.markSending(a.path, { ...local, rev: 0 });
      const file = await uploadFile(ctx.remote, ctx.folder, a.path, local, a.baseRev, claims, baseBlocks, transfer);
      recordUpload(ctx, a.path, local, file);
      return;
    }
    case 'download':
      await download(ctx, a.path, a.remote, a.local ? ctx.local.get(a.path) : undefined, a.local !== undefined, twins, transfer);
      return;
    case 'conflict':
      await moveAside(ctx, a.path, a.conflictPath, a.local, report);
      await download(ctx, a.path, a.remote, undefined, false, twins, transfer);
      return;
    case 'moveAside':
      await moveAside(ctx, a.path, a.conflictPath, a.local, report);
      return;
    case 'downloadAside': {
      // The server's file goes beside the folder that took its name; recorded as synced, so the next plan deletes it there.
      const remoteEntry = ctx.remoteTree.get(a.path);
      if (!remoteEntry || remoteEntry.contentHash !== a.remote.contentHash || remoteEntry.rev !== a.remote.rev)
        throw new MyDropboxError('conflict', `"${a.path}" changed on the server since the plan.`);
      // Only a folder here makes room for it; a file there again is planned afresh.
      if (
        !(await checkParents(ctx.folder, a.path, false)) ||
        !(await fs.promises.lstat(absolute(ctx.folder, a.path)).then(
          (st) => st.isDirectory(),
          () => false,
        ))
      )
        throw new LocalChangedError(a.path);
      const { body } = await ctx.remote.download(a.path, transfer?.signal);
      const written = await writeFileSafely(
        ctx.folder,
        a.conflictPath,
        transfer ? counted(body, transfer) : body,
        {
          contentHash: remoteEntry.contentHash,
          size: remoteEntry.size,
          modifiedAt: remoteEntry.mtime,
          executable: remoteEntry.executable === true,
        },
        undefined,
      );
      ctx.local.set(a.conflictPath, written);
      report.touched.add(a.conflictPath);
      ctx.index.set(a.path, {
        size: remoteEntry.size,
        mtime: 0,
        ino: 0,
        ctime: 0,
        hashedAt: 0,
        contentHash: written.contentHash,
        blocks: written.blocks,
        rev: remoteEntry.rev,
      });
      ctx.onConflict?.({ path: a.path, conflictPath: a.conflictPath });
      return;
    }
    case 'deleteRemote': {
      // Only a file (or a link, which is never synced) here stops it: a folder that took the file's name does not.
      if (
        (await checkParents(ctx.folder, a.path, false).catch((err: unknown) => {
          // A file where a folder above it was: the folder, and the file in it, are gone here.
          if (err instanceof UnsafeLocalPathError && err.what === 'not a folder') return false;
          throw err;
        })) &&
        (await fs.promises.lstat(absolute(ctx.folder, a.path)).then(
          (st) => !st.isDirectory(),
          () => false,
        ))
      )
        throw new LocalChangedError(a.path);
      await deleteOnServer(ctx, a.path, a.baseRev, async () => {
        const { rev } = await ctx.remote.deleteFile(a.path, a.baseRev);
        ctx.onDeletedThere?.(a.path);
        return rev;
      });
      return;
    }
    case 'deleteLocal': {
      const local = ctx.local.get(a.path);
      if (local && local.contentHash !== a.local.contentHash) throw new LocalChangedError(a.path);
      await deleteLocalFile(ctx.folder, a.path, local, ctx.keepFolder);
      ctx.local.delete(a.path);
      ctx.index.delete(a.path);
      return;
    }
    case 'updateSynced':
      return;
  }
}

/**
 * Deletes `path` (at `baseRev`) on the server through `send`, which answers the delete's revision; a file already gone
 * there counts as deleted. Then the trees and the synced index record it gone. (The simulator sends its own way.)
 */
export async function deleteOnServer(
  ctx: Pick<ExecutorContext, 'remoteTree' | 'tombstones' | 'index'>,
  path: string,
  baseRev: number,
  send: () => Promise<number>,
): Promise<void> {
  let rev: number | undefined;
  try {
    rev = await send();
  } catch (err) {
    if (!MyDropboxError.is(err, 'not_found')) throw err;
  }
  recordGone(ctx.remoteTree, ctx.tombstones, path, rev, baseRev);
  ctx.index.delete(path);
}

/** Renames the local file (still what the plan saw) to `conflictPath`: both versions kept. */
async function moveAside(
  ctx: ExecutorContext,
  path: string,
  conflictPath: string,
  planned: TreeEntry,
  report: ExecutionReport,
): Promise<void> {
  const local = ctx.local.get(path);
  if (!local || local.contentHash !== planned.contentHash) throw new LocalChangedError(path);
  await checkParents(ctx.folder, path, false);
  const from = absolute(ctx.folder, path);
  const to = absolute(ctx.folder, conflictPath);
  const st = await fs.promises.lstat(from).catch(() => null);
  if (!st || st.ino !== local.ino || st.size !== local.size || st.mtimeMs !== local.mtime) throw new LocalChangedError(path);
  if (
    await fs.promises.lstat(to).then(
      () => true,
      () => false,
    )
  )
    throw new LocalChangedError(conflictPath);
  await fs.promises.rename(from, to);
  ctx.local.delete(path);
  ctx.local.set(conflictPath, local);
  report.touched.add(conflictPath);
  ctx.onConflict?.({ path, conflictPath });
}

async function download(
  ctx: ExecutorContext,
  path: string,
  want: TreeEntry,
  expectLocal: LocalEntry | undefined,
  hadLocal: boolean,
  twins: Twins,
  transfer?: TransferHandle,
): Promise<void> {
  if (hadLocal && !expectLocal) throw new LocalChangedError(path);
  const remoteEntry = ctx.remoteTree.get(path);
  if (!remoteEntry || remoteEntry.contentHash !== want.contentHash)
    throw new MyDropboxError('conflict', `"${path}" changed on the server since the plan.`);
  // Only the executable bit changed there: set it here, no bytes fetched.
  if (expectLocal && expectLocal.contentHash === want.contentHash) {
    const changed = await setExecutable(ctx.folder, path, expectLocal, want.executable === true);
    ctx.local.set(path, changed);
    ctx.index.set(path, { ...changed, rev: remoteEntry.rev });
    return;
  }
  ctx.index.markReceiving(path, remoteEntry);
  // A copy or rename made elsewhere: the bytes are already here under another name, so none cross the network.
  const twin = twins.get(want.contentHash);
  let written: Downloaded | undefined;
  if (twin !== undefined && twin !== path && ctx.local.get(twin)?.contentHash === want.contentHash) {
    written = await writeFileSafely(
      ctx.folder,
      path,
      readLocal(absolute(ctx.folder, twin)),
      { contentHash: want.contentHash, size: remoteEntry.size, modifiedAt: remoteEntry.mtime, executable: want.executable === true },
      expectLocal,
    ).catch((err) => {
      if (MyDropboxError.is(err, 'hash_mismatch')) return undefined; // the twin changed meanwhile: fetch instead
      throw err;
    });
  }
  if (!written) {
    const { body } = await ctx.remote.download(path, transfer?.signal);
    written = await writeFileSafely(
      ctx.folder,
      path,
      transfer ? counted(body, transfer) : body,
      { contentHash: want.contentHash, size: remoteEntry.size, modifiedAt: remoteEntry.mtime, executable: want.executable === true },
      expectLocal,
    );
  }
  ctx.local.set(path, written);
  ctx.index.set(path, { ...written, rev: remoteEntry.rev });
}

/** Passes the bytes through, telling the transfer how far it got. */
async function* counted(body: AsyncIterable<Uint8Array>, transfer: TransferHandle): AsyncIterable<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    transfer.progress(bytes);
    yield chunk;
  }
}
