// A folder or a selection as one zip, streamed: each file is fetched from the data server only when its turn comes.
import { PassThrough, Readable } from 'node:stream';
import yazl from 'yazl';
import { MyDropboxError, baseName, isInside, parentPath } from '@mydropbox/shared';
import type { Logger } from '@mydropbox/server-common';
import type { Download, FileGateway, Tree } from './files';

/** Downloads started ahead of the entry being written. */
const PREFETCH = 4;

export interface ZipPlan {
  /** Each file with its name inside the zip. */
  files: { path: string; name: string; size: number; modifiedAt: number }[];
  /** Folders with nothing in them, kept as folder entries so the zip has the same tree. */
  emptyFolders: string[];
}

/**
 * What a zip of `paths` (files or folders, all in the same tree) holds, each named relative to
 * `base` (the folder the person is looking at). Pure: decided from one listing.
 */
export function planZip(tree: Tree, paths: readonly string[], base: string): ZipPlan {
  const files = new Map<string, ZipPlan['files'][number]>();
  const folders = new Set<string>();
  const strip = (p: string) => (base === '' ? p : p.slice(base.length + 1));
  for (const wanted of paths) {
    if (base !== '' && !isInside(wanted, base)) {
      throw new MyDropboxError('invalid_path', `"${wanted}" is not inside the folder "${base}".`);
    }
    let found = false;
    for (const f of tree.files) {
      if (f.path === wanted || isInside(f.path, wanted)) {
        files.set(f.path, { path: f.path, name: strip(f.path), size: f.size, modifiedAt: f.modifiedAt });
        found = true;
      }
    }
    for (const d of tree.folders) {
      if (d.path === wanted || isInside(d.path, wanted)) {
        folders.add(d.path);
        found = true;
      }
    }
    if (!found) throw new MyDropboxError('not_found', `There is no file or folder "${wanted}" any more; reload the page.`);
  }
  const holding = new Set<string>();
  for (const f of files.values()) for (let p = parentPath(f.path); p !== ''; p = parentPath(p)) holding.add(p);
  for (const d of folders) for (let p = parentPath(d); p !== ''; p = parentPath(p)) holding.add(p);
  const emptyFolders = [...folders].filter((d) => !holding.has(d) && !files.has(d)).map(strip);
  return { files: [...files.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), emptyFolders: emptyFolders.sort() };
}

/** The zip's file name: the folder's own name for one folder, else the folder being looked at. */
export function zipName(paths: readonly string[], base: string, isSingleFolder: boolean): string {
  if (isSingleFolder && paths.length === 1) return `${baseName(paths[0]!)}.zip`;
  return `${base === '' ? 'MyDropbox' : baseName(base)} (${paths.length} ${paths.length === 1 ? 'item' : 'items'}).zip`;
}

/**
 * The zip as a stream. Entries are stored, not deflated: most big files are compressed already,
 * and two cores serve everyone. A file that cannot be read ends the stream with an error, so the
 * browser reports a failed download instead of saving a zip with a hole in it.
 */
export function streamZip(gateway: FileGateway, username: string, plan: ZipPlan, log: Logger): Readable {
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  const fail = (err: unknown) => {
    log.warn({ err, username }, 'zip download stopped');
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  zip.on('error', fail);
  zip.outputStream.on('error', fail);
  zip.outputStream.pipe(out);
  const sources: Readable[] = [];
  // Each file's download starts a few entries ahead of its turn, so the data server's answer time
  // is hidden behind the bytes of the files before it; the body is read only when its turn comes.
  const started = new Map<number, Promise<Download>>();
  const start = (i: number): Promise<Download> | undefined => {
    const f = plan.files[i];
    if (!f) return undefined;
    let answer = started.get(i);
    if (!answer) {
      answer = gateway.download(username, f.path);
      answer.catch(() => undefined); // reported when its turn comes, if it ever does
      started.set(i, answer);
    }
    return answer;
  };
  plan.files.forEach((f, i) => {
    const lazy = Readable.from(
      (async function* () {
        const answer = await start(i)!;
        for (let ahead = 1; ahead <= PREFETCH; ahead++) start(i + ahead);
        started.delete(i);
        yield* answer.body;
      })(),
    );
    lazy.on('error', fail);
    sources.push(lazy);
    zip.addReadStream(lazy, f.name, { size: f.size, mtime: new Date(f.modifiedAt || Date.now()), compress: false });
  });
  for (const d of plan.emptyFolders) zip.addEmptyDirectory(d);
  zip.end();
  out.on('close', () => {
    // The person left: stop reading from the data server.
    if (out.writableFinished) return;
    zip.outputStream.unpipe(out);
    for (const s of sources) s.destroy();
    for (const answer of started.values())
      answer.then(
        (a) => a.body.destroy(),
        () => undefined,
      );
  });
  return out;
}
